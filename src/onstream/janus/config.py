"""A Janus configuration folder that loads the HTTP and WebSocket transports, VideoRoom and
TextRoom only.

`janus -F <folder>` reads `janus.jcfg` and every plugin's `.jcfg` from that folder, so nothing
from `/etc/janus` applies (its sample rooms 1234/5678 never appear). Janus 1.1.2 has no
"enable only" setting: every other plugin, transport, logger and event handler it ships is
disabled by file name, computed from its library folder when the config is written, so a
plugin that apt installs later is not loaded silently.

The WebSocket transport (`ws_port`) listens on the HTTP transport's address too: Onstream's
WebSocket relay (`onstream.web.relay`) speaks to it, never a browser.

Rooms are never configured here: the server creates and destroys them through the API, and
`admin_key` keeps browsers (which reach the same API through the proxy) from creating any.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEEP_PLUGINS = frozenset({"libjanus_videoroom.so", "libjanus_textroom.so"})
KEEP_TRANSPORTS = frozenset({"libjanus_http.so"})
WEBSOCKETS = "libjanus_websockets.so"

PROTECTED_FOLDERS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
)
"""Janus refuses to write recordings below these (the list of its own sample config)."""

LIBRARY_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/janus", "/usr/lib/aarch64-linux-gnu/janus")


def janus_library() -> Path:
    """The folder holding Janus' `plugins/`, `transports/`, ... (Debian's multiarch path)."""
    found = [Path(p) for p in LIBRARY_CANDIDATES] + sorted(Path("/usr/lib").glob("*/janus"))
    found += [Path("/usr/lib/janus"), Path("/usr/local/lib/janus")]
    return next((p for p in found if (p / "plugins").is_dir()), Path(LIBRARY_CANDIDATES[0]))


def write_janus_config(
    directory: Path,
    *,
    http_port: int,
    http_ip: str = "127.0.0.1",
    admin_key: str,
    recordings_dir: Path,
    rtp_ports: tuple[int, int] = (20000, 20999),
    session_timeout: int = 60,
    ice_enforce_list: str | None = None,
    debug_level: int = 4,
    ws_port: int | None = None,
    event_loops: int | None = None,
) -> None:
    """Write janus.jcfg, the HTTP and WebSocket transports' and the VideoRoom and TextRoom
    plugins' files.

    `http_ip` is the bind address of the Janus API; keep it on loopback behind the server's
    proxy. `admin_key` is required by both plugins' `create`. `recordings_dir` is created
    and left writable (the protected folders are narrowed around it, since Janus refuses
    to record below `/var` or `/usr` otherwise). `rtp_ports` is the UDP range for ICE and
    media, the one a firewall must open. `session_timeout` must stay well above 30 s: janus.js
    over HTTP sends no keepalives and a long poll lasts up to 30 s. `ice_enforce_list`
    (an interface name or address prefix) limits host candidates on multi-homed hosts.
    `ws_port` turns the WebSocket transport on, on `http_ip` (None: it stays off).
    `event_loops` is how many threads carry every handle's media (default: one a core).
    Janus's own default gives each handle a thread of its own: with a hundred viewers of one
    presenter that cost Janus more than twice the CPU per forwarded stream (docs/rooms.md).
    """
    directory = directory.resolve()
    recordings_dir = recordings_dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    recordings_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "janus.jcfg": _core(
            directory,
            recordings_dir=recordings_dir,
            rtp_ports=rtp_ports,
            session_timeout=session_timeout,
            ice_enforce_list=ice_enforce_list,
            debug_level=debug_level,
            websockets=ws_port is not None,
            event_loops=event_loops if event_loops is not None else os.cpu_count() or 1,
        ),
        "janus.transport.http.jcfg": _http_transport(http_ip, http_port),
        "janus.plugin.videoroom.jcfg": _plugin(admin_key),
        # Chat messages go over the data channel as JSON: compact keeps them small.
        "janus.plugin.textroom.jcfg": _plugin(admin_key, json="compact"),
    }
    if ws_port is not None:
        files["janus.transport.websockets.jcfg"] = _websocket_transport(http_ip, ws_port)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")


def _core(
    directory: Path,
    *,
    recordings_dir: Path,
    rtp_ports: tuple[int, int],
    session_timeout: int,
    ice_enforce_list: str | None,
    debug_level: int,
    websockets: bool,
    event_loops: int,
) -> str:
    lib = janus_library()
    transports = KEEP_TRANSPORTS | {WEBSOCKETS} if websockets else KEEP_TRANSPORTS
    nat: dict[str, object] = {"nice_debug": False, "ignore_mdns": False}
    if ice_enforce_list:
        nat["ice_enforce_list"] = ice_enforce_list
    else:
        nat["ice_ignore_list"] = "vmnet"
    return "".join(
        [
            _section(
                "general",
                configs_folder=str(directory),
                plugins_folder=str(lib / "plugins"),
                transports_folder=str(lib / "transports"),
                events_folder=str(lib / "events"),
                loggers_folder=str(lib / "loggers"),
                debug_level=debug_level,
                debug_timestamps=True,
                debug_colors=False,
                # The Admin API transport is off; a random secret still replaces the default.
                admin_secret=secrets.token_urlsafe(24),
                session_timeout=session_timeout,
                reclaim_session_timeout=0,
                # `.mjr.tmp` while written, renamed to `.mjr` when closed: "recording done".
                recordings_tmp_ext="tmp",
                server_name="onstream-janus",
                hide_dependencies=True,
                event_loops=event_loops,
                protected_folders=protected_folders(recordings_dir),
            ),
            _section("certificates"),
            _section("media", rtp_port_range=f"{rtp_ports[0]}-{rtp_ports[1]}"),
            _section("nat", **nat),
            _section("plugins", disable=_disabled(lib / "plugins", KEEP_PLUGINS)),
            _section("transports", disable=_disabled(lib / "transports", transports)),
            _section("loggers", disable=_disabled(lib / "loggers", frozenset())),
            _section("events", broadcast=False, disable=_disabled(lib / "events", frozenset())),
        ]
    )


def _http_transport(ip: str, port: int) -> str:
    general = _section(
        "general",
        events=False,
        json="compact",
        base_path="/janus",
        http=True,
        port=port,
        ip=ip,
        https=False,
    )
    admin = _section(
        "admin", admin_base_path="/admin", admin_http=False, admin_ip=ip, admin_https=False
    )
    return general + admin + _section("cors")


def _websocket_transport(ip: str, port: int) -> str:
    # Janus answers a WebSocket that offers the "janus-protocol" subprotocol.
    general = _section(
        "general", events=False, json="compact", ws=True, ws_port=port, ws_ip=ip, wss=False
    )
    admin = _section("admin", admin_ws=False, admin_wss=False)
    return general + admin


def _plugin(admin_key: str, **settings: object) -> str:
    # No static rooms: every room is created (and destroyed) through the API.
    return _section("general", events=False, string_ids=False, admin_key=admin_key, **settings)


def protected_folders(keep: Path) -> list[str]:
    """Janus' protected folders, narrowed so that `keep` (an absolute path) is writable.

    A protected folder that contains `keep` is replaced by its children except the one on
    the way down to `keep`, recursively: `/var/lib/onstream/rec` leaves `/var/log`,
    `/var/lib/dpkg` and `/var/lib/onstream/<other>` protected.
    """
    result: list[str] = []
    for folder in PROTECTED_FOLDERS:
        result.extend(_protect_around(Path(folder), keep))
    return result


def _protect_around(folder: Path, keep: Path) -> list[str]:
    if not keep.is_relative_to(folder):
        return [str(folder)]
    if keep == folder or not folder.is_dir():
        return []
    step = folder / keep.relative_to(folder).parts[0]
    result: list[str] = []
    for child in sorted(folder.iterdir()):
        result.extend(_protect_around(child, keep) if child == step else [str(child)])
    return result


def _disabled(folder: Path, keep: frozenset[str]) -> str:
    names = sorted(p.name for p in folder.glob("*.so")) if folder.is_dir() else []
    return ",".join(name for name in names if name not in keep)


def _section(name: str, **settings: object) -> str:
    lines = [f"\t{key} = {_value(value)}\n" for key, value in settings.items()]
    return f"{name}: {{\n{''.join(lines)}}}\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
