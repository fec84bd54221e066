"""A real SIP caller for the phone bridge's tests: baresip, with a sine tone as its microphone,
what it hears dumped to WAV, RFC 4733 digits sent over its control socket.

(SIPp 3.6.1 was tried for keypad-only calls: it does not exit at the end of a scenario
without a terminal, so the tests use baresip for every call.)"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import free_port
from tests.support.waiting import wait_until

HOST = "10.99.0.1"


@dataclass
class Baresip:
    """A baresip phone: a sine tone as its microphone, what it hears dumped to WAV, driven
    over its ctrl_tcp socket."""

    folder: Path
    process: subprocess.Popen[bytes]
    control: int

    @classmethod
    def start(cls, folder: Path, *, number: str, tone_hz: int) -> Baresip:
        folder.mkdir(parents=True, exist_ok=True)
        control = free_port()
        (folder / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen {HOST}:{free_port()}",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module ausine.so",
                    "module aubridge.so",
                    "module sndfile.so",
                    "module ctrl_tcp.so",
                    "module_app account.so",
                    "module_app menu.so",
                    f"ctrl_tcp_listen 127.0.0.1:{control}",
                    f"audio_source ausine,{tone_hz}",
                    "audio_player aubridge,nowhere",
                    "ausrc_srate 48000",
                    "auplay_srate 48000",
                    "ausrc_channels 2",
                    "auplay_channels 1",
                    f"snd_path {folder}",
                    "audio_buffer 20-160",
                    "rtp_ports 30000-30999",
                    "",
                ]
            )
        )
        (folder / "accounts").write_text(
            f"<sip:{number}@{HOST}>;regint=0;audio_codecs=PCMU;answermode=manual\n"
        )
        (folder / "contacts").write_text("")
        with (folder / "baresip.log").open("wb") as log:
            process = subprocess.Popen(
                [shutil.which("baresip") or "baresip", "-f", str(folder)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        phone = cls(folder=folder, process=process, control=control)
        wait_until(phone._listening, what="baresip's control socket")
        return phone

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.control), timeout=1).close()
        except OSError:
            return False
        return True

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        with socket.create_connection(("127.0.0.1", self.control), timeout=5) as conn:
            conn.sendall(str(len(body)).encode() + b":" + body + b",")
            conn.recv(4096)

    def log(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")

    def heard(self) -> Path | None:
        """The WAV of what the phone received (sndfile's `-dec` dump), once written."""
        found = sorted(self.folder.glob("dump-*-dec.wav"))
        return found[-1] if found else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def dominant_hz(path: Path, *, last_seconds: float = 1.0) -> tuple[float, float]:
    """The strongest frequency in the last seconds of a mono 16-bit WAV that may still be
    written (its header's sizes not yet filled in), and its share of the signal's energy."""
    import numpy as np

    raw = path.read_bytes()
    fmt, data = raw.find(b"fmt "), raw.find(b"data")
    if fmt < 0 or data < 0:
        return 0.0, 0.0
    channels = int.from_bytes(raw[fmt + 10 : fmt + 12], "little")
    rate = int.from_bytes(raw[fmt + 12 : fmt + 16], "little")
    body = raw[data + 8 :]
    samples = np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2").astype(float)
    if channels > 1:
        samples = samples[: samples.size // channels * channels].reshape(-1, channels)[:, 0]
    samples = samples[-int(last_seconds * rate) :]
    if samples.size < rate // 4 or not samples.any():
        return 0.0, 0.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    peak = int(np.argmax(spectrum[1:]) + 1)
    band = spectrum[max(1, peak - 5) : peak + 6].sum()
    return float(freqs[peak]), float(band / max(spectrum[1:].sum(), 1e-9))
