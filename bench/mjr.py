"""Long Janus recordings (`.mjr`) made from short real ones, for the recording benchmark.

A `.mjr` file (Janus's `record.c`, version 2) is `MJR00002`, a 2-byte big-endian length and
that many bytes of JSON header (`t` kind, `c` codec, `s` created and `u` first packet, both
wall-clock microseconds), then one frame per RTP packet: `MEET`, a 4-byte big-endian time
in milliseconds since the first packet, a 2-byte length, and the RTP packet as received.

`loop` repeats a real recording's packets (those of `tests/fixtures/recording`, made by
Janus from Chromium's camera and microphone) back to back until the wanted length, moving
each copy's RTP sequence numbers and timestamps on as if the sender had kept sending: the
result is what Janus writes for a long meeting, at the real bitrate of a browser's VP8 and
Opus, and `janus-pp-rec` and ffmpeg read it as they read any recording.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"MJR00002"
FRAME = b"MEET"


@dataclass(frozen=True, slots=True)
class Packet:
    when_ms: int
    rtp: bytes


def read(path: Path) -> tuple[dict[str, object], list[Packet]]:
    """The header and the packets of a `.mjr` file."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError(f"{path} is not a Janus recording (version 2)")
    (length,) = struct.unpack_from(">H", data, len(MAGIC))
    offset = len(MAGIC) + 2
    header = json.loads(data[offset : offset + length])
    offset += length
    packets = []
    while offset + 10 <= len(data):
        if data[offset : offset + 4] != FRAME:
            raise ValueError(f"{path}: no frame marker at byte {offset}")
        when, size = struct.unpack_from(">IH", data, offset + 4)
        offset += 10
        packets.append(Packet(when, data[offset : offset + size]))
        offset += size
    return header, packets


def write(path: Path, header: dict[str, object], packets: list[Packet]) -> None:
    """Write a `.mjr` file."""
    text = json.dumps(header).encode()
    with path.open("wb") as out:
        out.write(MAGIC + struct.pack(">H", len(text)) + text)
        for packet in packets:
            out.write(FRAME + struct.pack(">IH", packet.when_ms, len(packet.rtp)) + packet.rtp)


def loop(
    source: Path, target: Path, *, seconds: float, shift_us: int = 0, ssrc: int | None = None
) -> None:
    """Repeat `source`'s packets into `target` until it lasts `seconds`, its start moved by
    `shift_us` (a later join) and its SSRC replaced (another person)."""
    header, packets = read(source)
    video = header.get("t") == "v"
    clock = 90_000 if video else 48_000
    first_ts = _ts(packets[0].rtp)
    span_ts = (_ts(packets[-1].rtp) - first_ts) % 2**32 + (3000 if video else 960)
    span_ms = round(span_ts * 1000 / clock)
    out: list[Packet] = []
    copy = 0
    while not out or out[-1].when_ms < seconds * 1000:
        for n, packet in enumerate(packets):
            rtp = bytearray(packet.rtp)
            seq = (struct.unpack_from(">H", rtp, 2)[0] + copy * len(packets)) % 2**16
            ts = (_ts(packet.rtp) + copy * span_ts) % 2**32
            struct.pack_into(">HI", rtp, 2, seq, ts)
            if ssrc is not None:
                struct.pack_into(">I", rtp, 8, ssrc)
            when = packet.when_ms + copy * span_ms
            if when >= seconds * 1000 and n > 0:
                break
            out.append(Packet(when, bytes(rtp)))
        copy += 1
    moved = dict(header)
    for key in ("s", "u"):
        moved[key] = int(str(header[key])) + shift_us
    write(target, moved, out)


def _ts(rtp: bytes) -> int:
    return int(struct.unpack_from(">I", rtp, 4)[0])
