"""Audio between one caller (8 kHz, 20 ms frames of 16-bit PCM, PJSIP's side) and the room.

`RoomMix` is what the caller hears: Janus forwards the Opus audio of every other publisher
of the room to one UDP port of the call (VideoRoom `rtp_forward`, a distinct SSRC each);
each source is decoded (libopus through PyAV), resampled to 8 kHz mono and queued, and
PJSIP's clock takes 20 ms of the sum every 20 ms. A source's queue holds at most
`MAX_QUEUED` ms: a late or bursty source is trimmed rather than delaying everyone.

`CallerTrack` is what the room hears: an aiortc audio track fed with the caller's frames,
which aiortc encodes to Opus for the VideoRoom. Its pace is the caller's (PJSIP's clock).
"""

from __future__ import annotations

import asyncio
import fractions
import sys
import threading
import time
from array import array

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

RATE = 8000
FRAME_SAMPLES = 160
"""20 ms at 8 kHz: PJSIP's frame for a G.711 call."""
FRAME_BYTES = FRAME_SAMPLES * 2
SILENCE = bytes(FRAME_BYTES)
MAX_QUEUED = 120
"""Milliseconds of a source kept ahead of playout: more is dropped to bound the delay."""
SPEAKING = 0.2
"""Seconds after its last packet that a source counts as still sending: a frame it cannot
fill meanwhile is an underrun (the caller hears a gap in that voice)."""
OPUS_PAYLOAD = 111


class Source:
    """One publisher's audio: its Opus decoder, resampler and queued 8 kHz samples."""

    def __init__(self) -> None:
        self.decoder = av.CodecContext.create("libopus", "r")
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self.queued = bytearray()
        self.last_packet = 0.0

    def decode(self, payload: bytes) -> bytes:
        """8 kHz mono PCM of one Opus packet (empty when the decoder refused it)."""
        try:
            frames = self.decoder.decode(av.Packet(payload))
        except av.FFmpegError:
            return b""
        out = bytearray()
        for frame in frames:
            for resampled in self.resampler.resample(frame):
                out += bytes(resampled.planes[0])[: resampled.samples * 2]
        return bytes(out)


class RoomMix:
    """The room's voices for one caller: fed from Janus's forwarders, read by PJSIP's clock
    (another thread, hence the lock)."""

    def __init__(self) -> None:
        self._sources: dict[int, Source] = {}
        self._lock = threading.Lock()
        self.packets = 0
        self.frames = 0
        """20 ms frames taken for the caller."""
        self.voiced = 0
        """Frames of sending sources that went into those (one per source and frame)."""
        self.short = 0
        """Of those, the ones a source had less than 20 ms queued for (an underrun)."""

    def feed(self, datagram: bytes) -> None:
        """Take one RTP packet of a forwarder."""
        try:
            packet = RtpPacket.parse(datagram)
        except ValueError:
            return
        if packet.payload_type != OPUS_PAYLOAD or not packet.payload:
            return
        source = self._sources.get(packet.ssrc)
        if source is None:
            source = self._sources[packet.ssrc] = Source()
        pcm = source.decode(packet.payload)
        self.packets += 1
        with self._lock:
            source.last_packet = time.monotonic()
            source.queued += pcm
            excess = len(source.queued) - MAX_QUEUED * RATE // 1000 * 2
            if excess > 0:
                del source.queued[:excess]

    def forget(self, ssrc: int) -> None:
        """A publisher left: drop its queue and decoder."""
        with self._lock:
            self._sources.pop(ssrc, None)

    def take(self) -> bytes:
        """The next 20 ms of the mix, silence when nobody speaks."""
        now = time.monotonic()
        with self._lock:
            self.frames += 1
            chunks = []
            for source in self._sources.values():
                if now - source.last_packet < SPEAKING:
                    self.voiced += 1
                    self.short += len(source.queued) < FRAME_BYTES
                if source.queued:
                    chunks.append(bytes(source.queued[:FRAME_BYTES]))
                    del source.queued[:FRAME_BYTES]
        if not chunks:
            return SILENCE
        if len(chunks) == 1:
            return chunks[0].ljust(FRAME_BYTES, b"\0")
        total = [0] * FRAME_SAMPLES
        for chunk in chunks:
            samples = array("h", chunk.ljust(FRAME_BYTES, b"\0"))
            if sys.byteorder == "big":  # pragma: no cover - PCM is little-endian
                samples.byteswap()
            for i, value in enumerate(samples):
                total[i] += value
        mixed = array("h", (max(-32768, min(32767, v)) for v in total))
        return mixed.tobytes()


class ForwardedAudio(asyncio.DatagramProtocol):
    """The UDP port Janus forwards the room's audio to, feeding one `RoomMix`."""

    def __init__(self, mix: RoomMix) -> None:
        self.mix = mix

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.mix.feed(data)


class CallerTrack(MediaStreamTrack):
    """The caller's voice as an aiortc track: 20 ms frames pushed from PJSIP's thread
    (through the event loop), silence while the caller muted themselves."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=25)
        self._pts = 0
        self.muted = False
        self.frames = 0
        self.dropped = 0
        """Frames of the caller dropped because aiortc did not keep up."""

    def push(self, pcm: bytes) -> None:
        """One frame from the caller (called in the event loop); dropped when aiortc lags."""
        self.frames += 1
        if self._frames.full():
            self.dropped += 1
            self._frames.get_nowait()
        self._frames.put_nowait(SILENCE if self.muted else pcm)

    def finish(self) -> None:
        """The call ended: `recv` raises, and aiortc stops sending."""
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(None)

    async def recv(self) -> av.AudioFrame:
        pcm = await self._frames.get()
        if pcm is None:
            self.stop()
            raise MediaStreamError
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(pcm.ljust(FRAME_BYTES, b"\0")[:FRAME_BYTES])
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME_SAMPLES
        return frame
