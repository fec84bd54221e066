"""Turn a VideoRoom recording (`.mjr` files) into one playable file: videos side by side,
audio mixed, everyone on one timeline.

Janus records each publisher's track into its own file,
`videoroom-<room>-user-<participant>-<ts>-<audio|video|data>-<mid>.mjr`:

1. `janus-pp-rec -j FILE` prints the header, `{"t": "a|v|d", "c": "opus|vp8|..",
   "s": created_us, "u": first_packet_us}`, both wall-clock microseconds since the epoch.
2. `janus-pp-rec FILE OUT` converts one track without re-encoding (about 0.1 s for ten seconds
   of meeting); the converted file starts at the first written packet, header "u".
3. ffmpeg draws one black canvas as long as the meeting, shifts every video by its first
   packet's offset from the earliest one, scales it into its participant's tile (black before
   they join and after they leave; a rejoin is one more segment in the same tile), delays each
   audio track by the same offset and mixes them.

The encode is the cost: VP8 at `-deadline realtime -cpu-used 16` into 320x180 tiles at 10
frames per second takes about 0.2 s of CPU per second of a four-person meeting (decoding
the four cameras included), so two cores compose an hour of meeting in minutes; the
recording plays from its remuxed tracks long before (`meetings.recorder`). Every
tool runs as a child process with a timeout and is killed when it runs over or the caller is
cancelled, so a stopped worker leaves no encoder behind.

A track that cannot be used (an empty file left by a publisher whose media died, a header
the tool cannot read, a conversion that fails or yields nothing) is skipped and named in the
result: one bad track must not cost the meeting its recording.

Errors::

    CompositionFailed     a tool failed or ran over; the message ends with its last lines
     ├── NothingRecorded  no audio or video track with a packet in it (retrying cannot help)
     └── StillRecording   Janus is still writing the files (retry a little later)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from onstream.exits import how_it_ended

HEADER_TIMEOUT = 30.0
CONVERT_TIMEOUT = 600.0
"""janus-pp-rec converts an hour of video in well under a minute; ten minutes is a hang."""
PROBE_TIMEOUT = 30.0
ENCODE_TIMEOUT_BASE = 300.0
ENCODE_TIMEOUT_PER_SECOND = 4.0
"""The encode may take four times the meeting's length (plus five minutes) before it counts
as hung: about 1x is usual on two cores, and a busy server may halve that."""
WRITING_GRACE_SECONDS = 60.0
"""A `.mjr.tmp` file untouched this long belongs to a Janus that died: it is used as it is
(the packets in it are valid). A younger one is still being written."""
ERROR_LINES = 12
ENCODER_NICENESS = 10
"""Encodes yield the CPU to the server's requests running in the same machine."""

_NAME = re.compile(
    r"-user-(?P<user>.+?)-(?P<ts>\d+)-(?P<kind>audio|video|data)-(?P<mid>\d+)\.mjr(\.tmp)?$"
)
_AUDIO_EXTENSIONS = {"opus": "opus", "g711": "wav", "pcmu": "wav", "pcma": "wav", "g722": "wav"}
_VIDEO_EXTENSIONS = {"vp8": "webm", "vp9": "webm", "h264": "mp4"}
"""Containers a browser plays, so a remuxed track is served as it is (Opus in Ogg, VP8/VP9
in WebM, H.264 in MP4); anything else is Matroska, which only the composition reads."""
_KINDS = {"a": "audio", "v": "video"}

log = logging.getLogger(__name__)


class CompositionFailed(Exception):
    """The recording could not be turned into a file; the message says which tool and why."""


class NothingRecorded(CompositionFailed):
    """The directory holds no audio or video track with media in it."""


class StillRecording(CompositionFailed):
    """Janus is still writing some of the files (`.mjr.tmp` changed in the last minute)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How the output looks: tile size of one participant, frame rate, encoder threads.

    The composed file is the download, made after the recording already plays from its
    tracks at their own quality; it is sized for speed: 320x180 tiles at 10 frames per
    second cost a four-person meeting about 0.2 s of CPU per second of meeting, against
    0.54 s for 640x360 at 15 (docs/benchmarks.md)."""

    tile_width: int = 320
    tile_height: int = 180
    fps: int = 10
    threads: int = 2


@dataclass(frozen=True, slots=True)
class Track:
    """One recorded track, from its header and its file name."""

    mjr: Path
    kind: str
    """`audio` or `video`."""
    codec: str
    participant: str
    """The tile it goes into: the Janus participant id, or what `people` maps it to."""
    first_packet_us: int


@dataclass(frozen=True, slots=True)
class Converted:
    """A track converted into a file ffmpeg reads, and how long it plays."""

    track: Track
    media: Path
    duration: float


@dataclass(frozen=True, slots=True)
class Skipped:
    """A track left out of the composition, and why (in words for the organiser)."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Composition:
    """The composed file and what it took."""

    output: Path
    duration: float
    """Seconds, as ffprobe reads the output."""
    meeting: float
    """Seconds from anyone's first packet to anyone's last, from the recordings."""
    participants: tuple[str, ...]
    """Tiles in order of first appearance."""
    convert_seconds: float
    encode_seconds: float
    skipped: tuple[Skipped, ...] = ()
    """Tracks left out: empty, unreadable or unconvertible."""


async def compose(
    mjr_files: Sequence[Path],
    output: Path,
    *,
    work_dir: Path,
    layout: Layout | None = None,
    people: Mapping[str, str] | None = None,
) -> Composition:
    """Compose the tracks into `output` (`.webm`: VP8 and Opus; `.mp4`: H.264 and AAC).

    The converted tracks go into `work_dir`, which the caller creates and removes. `people`
    maps Janus participant ids to one tile key each, so someone who rejoined under a new id
    stays in one tile; unmapped ids get a tile of their own.
    """
    layout = layout or Layout()
    started = time.monotonic()
    converted, skipped = await convert_all(mjr_files, work_dir, people=people)
    convert_seconds = time.monotonic() - started
    command, meeting = ffmpeg_command(converted, output, layout=layout)
    started = time.monotonic()
    await run_tool(command, seconds=ENCODE_TIMEOUT_BASE + ENCODE_TIMEOUT_PER_SECOND * meeting)
    return Composition(
        output=output,
        duration=await probe_duration(output),
        meeting=round(meeting, 3),
        participants=_participants(c.track for c in converted),
        convert_seconds=round(convert_seconds, 2),
        encode_seconds=round(time.monotonic() - started, 2),
        skipped=tuple(skipped),
    )


async def convert_all(
    mjr_files: Sequence[Path], work_dir: Path, *, people: Mapping[str, str] | None = None
) -> tuple[list[Converted], list[Skipped]]:
    """Remux every audio and video track into `work_dir` (no re-encoding), with the tracks
    left out and why; `NothingRecorded` when no track holds playable media."""
    tracks, skipped = await load_tracks(mjr_files, people=people)
    converted = []
    for track in tracks:
        try:
            done = await convert(track, work_dir)
        except CompositionFailed:
            log.warning("recording track %s could not be converted", track.mjr.name, exc_info=True)
            skipped.append(Skipped(track.mjr.name, "its media could not be converted"))
            continue
        if done.duration > 0:
            converted.append(done)
        else:
            skipped.append(Skipped(track.mjr.name, "it holds no playable media"))
    if not converted:
        raise NothingRecorded(_nothing("the recorded tracks hold no playable media", skipped))
    return converted, skipped


def timeline(converted: Sequence[Converted]) -> tuple[int, float]:
    """The recording's start (the earliest first packet, wall-clock microseconds) and its
    length in seconds (to the end of the track that ends last)."""
    start = min(c.track.first_packet_us for c in converted)
    return start, max((c.track.first_packet_us - start) / 1e6 + c.duration for c in converted)


def _nothing(what: str, skipped: Sequence[Skipped]) -> str:
    """Why nothing could be composed, naming the tracks that were left out."""
    return f"{what} (left out: {'; '.join(map(str, skipped))})" if skipped else what


def recorded_files(source_dir: Path, *, now: float | None = None) -> list[Path]:
    """The track files of a room's recording directory, sorted.

    `StillRecording` while Janus is writing (a `.mjr.tmp` changed in the last minute);
    `CompositionFailed` when the directory is not there (not mounted on this machine?).
    """
    if not source_dir.is_dir():
        raise CompositionFailed(f"the recording directory {source_dir} does not exist")
    now = time.time() if now is None else now
    partial = sorted(source_dir.glob("*.mjr.tmp"))
    if any(now - p.stat().st_mtime < WRITING_GRACE_SECONDS for p in partial):
        raise StillRecording(f"Janus is still writing the recording in {source_dir}")
    return sorted([*source_dir.glob("*.mjr"), *partial])


async def load_tracks(
    mjr_files: Sequence[Path], *, people: Mapping[str, str] | None = None
) -> tuple[list[Track], list[Skipped]]:
    """The audio and video tracks that hold at least one packet, and the files left out
    because they cannot be read; data channels are neither."""
    tracks: list[Track] = []
    skipped: list[Skipped] = []
    for mjr in sorted(mjr_files):
        try:
            track = await _track(mjr, people or {})
        except (CompositionFailed, ValueError) as exc:
            log.warning("recording track %s left out: %s", mjr.name, exc)
            skipped.append(Skipped(mjr.name, "it is empty or not a readable Janus recording"))
            continue
        if track is not None:
            tracks.append(track)
    if not tracks:
        raise NothingRecorded(_nothing("no audio or video was recorded", skipped))
    return tracks, skipped


async def _track(mjr: Path, people: Mapping[str, str]) -> Track | None:
    header = await read_header(mjr)
    kind = _KINDS.get(str(header.get("t")))
    if kind is None or "u" not in header:  # a data channel, or no packet was ever written
        return None
    match = _NAME.search(mjr.name)
    participant = match.group("user") if match else mjr.name.split(".", 1)[0]
    return Track(
        mjr=mjr,
        kind=kind,
        codec=str(header.get("c")),
        participant=people.get(participant, participant),
        first_packet_us=int(str(header["u"])),
    )


async def read_header(mjr: Path) -> dict[str, object]:
    """The JSON header of one `.mjr` file."""
    try:
        out = await run_tool(["janus-pp-rec", "-j", str(mjr)], seconds=HEADER_TIMEOUT)
        header = json.loads(out.strip().splitlines()[-1])
    except (CompositionFailed, ValueError, IndexError) as exc:
        raise CompositionFailed(f"{mjr.name} is not a readable Janus recording") from exc
    if not isinstance(header, dict):
        raise CompositionFailed(f"{mjr.name} is not a readable Janus recording")
    return header


async def convert(track: Track, out_dir: Path) -> Converted:
    """Convert one track without re-encoding it (a remux: seconds for an hour's track) into
    a file a browser plays, and measure it."""
    if track.kind == "audio":
        extension = _AUDIO_EXTENSIONS.get(track.codec, "mka")
    else:
        extension = _VIDEO_EXTENSIONS.get(track.codec, "mkv")
    media = out_dir / f"{track.mjr.name.split('.', 1)[0]}.{extension}"
    # -d 3: warnings and errors only (janus-pp-rec logs to stdout); -o: no colour codes
    argv = ["janus-pp-rec", "-d", "3", "-o", str(track.mjr), str(media)]
    await run_tool(argv, seconds=CONVERT_TIMEOUT)
    return Converted(track=track, media=media, duration=await probe_duration(media))


async def probe_duration(path: Path) -> float:
    """A media file's duration in seconds, as ffprobe reads its container (0 if unknown)."""
    argv = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    out = (await run_tool([*argv, str(path)], seconds=PROBE_TIMEOUT)).strip()
    try:
        return float(out) if out and out != "N/A" else 0.0
    except ValueError as exc:
        raise CompositionFailed(f"ffprobe gave {out!r} as the duration of {path.name}") from exc


def ffmpeg_command(
    converted: Sequence[Converted], output: Path, *, layout: Layout
) -> tuple[list[str], float]:
    """The ffmpeg command line that composes the tracks, and the meeting's length in seconds."""
    start, total = timeline(converted)
    with_video = _participants(c.track for c in converted if c.track.kind == "video")
    columns, rows = grid(max(1, len(with_video)))
    width, height = columns * layout.tile_width, rows * layout.tile_height
    inputs: list[str] = []
    chains = [f"color=c=black:s={width}x{height}:r={layout.fps}:d={total:.3f}[canvas]"]
    canvas, mixed = "canvas", []
    for i, item in enumerate(converted):
        offset = (item.track.first_packet_us - start) / 1e6
        if item.track.kind == "video":
            inputs += ["-reinit_filter", "0"]  # keep the graph when the resolution changes
            tile = with_video.index(item.track.participant)
            chains += _video_chain(i, offset, tile, columns, layout, canvas)
            canvas = f"canvas{i}"
        else:
            chains.append(f"[{i}:a]aresample=48000,adelay={round(offset * 1000)}:all=1[a{i}]")
            mixed.append(f"[a{i}]")
        inputs += ["-i", str(item.media)]
    chains.append(f"[{canvas}]format=yuv420p[vout]")
    maps = ["-map", "[vout]"]
    if mixed:
        amix = f"amix=inputs={len(mixed)}:duration=longest:normalize=0"
        chains.append(f"{''.join(mixed)}{amix}[aout]")
        maps += ["-map", "[aout]"]
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *inputs]
    command += ["-filter_complex", ";".join(chains), *maps, "-t", f"{total:.3f}"]
    command += [*encoder_args(output, threads=layout.threads), str(output)]
    return command, total


def _video_chain(
    index: int, offset: float, tile: int, columns: int, layout: Layout, canvas: str
) -> list[str]:
    """Shift one video to its offset, fit it into its tile, and lay it over the canvas."""
    w, h = layout.tile_width, layout.tile_height
    x, y = (tile % columns) * w, (tile // columns) * h
    return [
        f"[{index}:v]setpts=PTS-STARTPTS+{offset:.3f}/TB,"
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1[v{index}]",
        f"[{canvas}][v{index}]overlay=x={x}:y={y}:eof_action=pass:repeatlast=0[canvas{index}]",
    ]


def grid(tiles: int) -> tuple[int, int]:
    """Columns and rows for this many tiles: one row up to three, then a near-square grid."""
    columns = tiles if tiles <= 3 else math.ceil(math.sqrt(tiles))
    return columns, math.ceil(tiles / columns)


def encoder_args(output: Path, *, threads: int) -> list[str]:
    """Codec options by the output's suffix: `.mp4` H.264/AAC, anything else VP8/Opus."""
    if output.suffix == ".mp4":
        video = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p"]
        audio = ["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"]
    else:
        # -cpu-used 16: libvpx's fastest VP8 setting (about 40% less CPU than 8 here)
        video = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-b:v", "1M"]
        audio = ["-c:a", "libopus", "-b:a", "64k"]
    return [*video, *audio, "-threads", str(threads)]


def _participants(tracks: Iterable[Track]) -> tuple[str, ...]:
    """Participants in order of their first packet."""
    ordered = sorted(tracks, key=lambda t: t.first_packet_us)
    return tuple(dict.fromkeys(t.participant for t in ordered))


async def run_tool(argv: Sequence[str], *, seconds: float) -> str:
    """Run a tool and return its standard output; `CompositionFailed` with its last lines
    when it fails or runs over `seconds`. The child is killed on timeout and when the
    caller is cancelled."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise CompositionFailed(f"{argv[0]} could not be started: {exc}") from exc
    with contextlib.suppress(OSError):  # it may have exited already
        os.setpriority(os.PRIO_PROCESS, process.pid, ENCODER_NICENESS)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError as exc:
        message = f"{argv[0]} ran longer than {seconds:.0f} s and was stopped"
        raise CompositionFailed(message) from exc
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise CompositionFailed(_failure(argv[0], process.returncode, stderr or stdout))
    return stdout.decode("utf-8", "replace")


def _failure(tool: str, returncode: int | None, output: bytes) -> str:
    how = how_it_ended(returncode) if returncode is not None else "ended"
    lines = output.decode("utf-8", "replace").strip().splitlines()[-ERROR_LINES:]
    return f"{tool} {how}" + (":\n" + "\n".join(lines) if lines else " and said nothing")
