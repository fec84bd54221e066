"""`onstream serve`: migrate the database, optionally create the demo account, then serve
(`onstream.server`).

With `--workers N` (N > 1) this process only supervises (`onstream.server.supervisor`): it
starts N worker processes that each build the application, restarts them, and never loads
the application, uvicorn or a database driver itself. The storage check, the migration and
the demo account are done in a short-lived child process (`serve --prepare`) for the same
reason: what they import would stay in the supervisor for the server's whole life.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onstream import logs
from onstream.cli.common import in_transaction, run_async
from onstream.config import Settings, load_settings
from onstream.server.metrics import metrics_directory

if TYPE_CHECKING:
    from onstream.janus.supervisor import JanusSupervisor
    from onstream.storage.database import Connection

DEMO_LOGIN = "demo"
DEMO_MEETING = "demo-meeting"


def add_parser(sub: Any) -> None:
    """Register `serve`."""
    serve = sub.add_parser("serve", help="run the API server (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="when the database has no account yet, create one and print its credentials",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    # The child that `serve --workers N` runs first (see the module docstring): it checks the
    # media store, migrates, creates the demo account, and prints what `print_demo` needs.
    serve.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; with `--demo` and no Janus configured, run one beside."""
    settings = load_settings().with_listen(host=args.host, port=args.port)
    logs.configure(settings.log_level, settings.log_format)
    if args.prepare:
        password = prepare(settings, args.demo)
        print(password or "", flush=True)
        return 0
    supervised = start_demo_janus(settings) if args.demo and not settings.janus_servers else None
    if supervised is not None:
        janus = supervised.janus
        settings = replace(settings, janus_urls=janus.url, janus_admin_key=janus.admin_key)
        os.environ["ONSTREAM_JANUS_URLS"] = janus.url
        os.environ["ONSTREAM_JANUS_ADMIN_KEY"] = janus.admin_key
    cleanup = metrics_directory()
    try:
        return _serve(args, settings)
    finally:
        cleanup()
        if supervised is not None:
            supervised.stop()


def start_demo_janus(settings: Settings) -> JanusSupervisor | None:
    """A Janus child for the demo's meeting rooms, configured in `./janus` and restarted
    when it dies, on the port stored in `./janus/port` (the same across restarts and runs,
    so the rooms of an earlier run are created again on it); None (with a line saying why)
    when it cannot run, so the API is served all the same."""
    from onstream.janus.process import JanusProcess, JanusUnavailable
    from onstream.janus.supervisor import JanusSupervisor, remembered_port

    folder = Path("janus")
    port = remembered_port(folder / "port")
    janus = JanusProcess(folder, http_port=port, recordings_dir=settings.recordings_root)
    try:
        return JanusSupervisor(janus).start()
    except JanusUnavailable as exc:
        print(f"Meeting rooms are unavailable: {exc}", flush=True)
        return None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1:
        password = prepare_in_child(args.demo)
        if args.demo:
            print_demo(settings, password)
        from onstream.server.supervisor import supervise

        return supervise(args.workers, settings, access_log=args.access_log)
    password = prepare(settings, args.demo)
    if args.demo:
        print_demo(settings, password)
    from onstream.server.process import serve_here

    serve_here(settings, access_log=args.access_log)
    return 0


def prepare(settings: Settings, demo: bool) -> str | None:
    """Check the media store, migrate, and with `demo` create the demo account (see
    `prepare_database`)."""
    from onstream.media.selection import store_for

    # A missing bucket or refused credentials is one line now, not a failing request later.
    run_async(store_for(settings).check())
    return prepare_database(settings.database_url, demo)


def prepare_in_child(demo: bool) -> str | None:
    """`prepare` in a child process (`serve --prepare`, with this environment); its errors
    reach the terminal from the child, one line each, and end `serve` with its exit code."""
    command = [sys.executable, "-m", "onstream", "serve", "--prepare"]
    if demo:
        command.append("--demo")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    *said, password = done.stdout.splitlines() or [""]
    if said:
        print("\n".join(said), flush=True)
    return password or None


def prepare_database(database_url: str, demo: bool) -> str | None:
    """Migrate; with `demo`, create the demo account if there is no account yet and return
    its password."""
    from onstream.users import repository

    if demo:
        return in_transaction(database_url, create_demo_account)
    in_transaction(database_url, repository.count_accounts)
    return None


async def create_demo_account(conn: Connection) -> str | None:
    """Create the demo account and meeting when the database has no account; their password
    and host key (space-separated: it crosses a process boundary as text), else None."""
    from onstream.users import repository, service
    from onstream.users.passwords import generate_password

    if await repository.count_accounts(conn) > 0:
        return None
    password = generate_password()
    await service.add_account(conn, login=DEMO_LOGIN, email="demo@example.com", password=password)
    host_key = await create_demo_meeting(conn)
    return f"{password} {host_key}"


async def create_demo_meeting(conn: Connection) -> str:
    """A session of the demo account that starts now, so its room is open at once."""
    from onstream.clock import utcnow
    from onstream.sessions import service as sessions
    from onstream.sessions.models import SessionInput
    from onstream.users import repository

    owner = await repository.account_by_login(conn, DEMO_LOGIN)
    assert owner is not None  # created just before, in this transaction
    start = f"{utcnow():%Y-%m-%d %H:%M:%S}"
    topic = "Demo meeting"
    data = SessionInput(
        topic=topic, start_time=start, duration=120, timezone="UTC", friendly_url=DEMO_MEETING
    )
    session = await sessions.get(conn, owner, await sessions.create(conn, owner, data))
    return session.host_key


def print_demo(settings: Settings, password: str | None) -> None:
    """Tell the person at the terminal how to call the API."""
    if password is None:
        print(
            "The database already has accounts, so no demo account was created.\n"
            f"Set a new password for the demo account with: onstream user passwd {DEMO_LOGIN}"
        )
        return
    password, _, host_key = password.partition(" ")
    url = f"{settings.public_base_url}/api/2/{DEMO_LOGIN}/authverify"
    credentials = shlex.quote(f"{DEMO_LOGIN}:{password}")
    base = f"{settings.public_base_url}/{DEMO_LOGIN}"
    print(
        "\nDemo account created\n"
        f"  login:    {DEMO_LOGIN}\n"
        f"  password: {password}\n\n"
        "Try it:\n"
        f"  curl -u {credentials} {url}\n\n"
        "A demo meeting is open now. Enter it as its host:\n"
        f"  {base}/host/{host_key}\n"
        "and let others join at\n"
        f"  {base}/{DEMO_MEETING}\n\n"
        "Sign in to the account center with the login and password above:\n"
        f"  {settings.public_base_url}/account\n",
        flush=True,
    )
