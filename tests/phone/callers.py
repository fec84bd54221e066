"""Real SIP callers for the phone bridge's tests. baresip, with a sine tone as its microphone,
what it hears dumped to WAV, RFC 4733 digits sent over its control socket.

SIPp (Debian's sip-tester) types with SIP INFO, which baresip 1.0 cannot send."""

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


def sipp_hang_up(number: str) -> str:
    """The end of a SIPp scenario opened by `sipp_call_opening` for `number`: the caller's
    BYE and the bridge's 200."""
    return f"""<send><![CDATA[

BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{number}@[local_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
"""


def sipp_call_opening(number: str, name: str) -> str:
    """The opening of a SIPp scenario of one call from `number` to the bridge: the INVITE
    offering PCMU, the answers awaited, the ACK. A scenario goes on from there."""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
<send retrans="500"><![CDATA[

INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{number}@[local_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[

ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{number}@[local_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"""


def sip_info_scenario(number: str, entries: list[str]) -> str:
    """A SIPp caller that types with SIP INFO (`application/dtmf-relay`) instead of RFC 4733,
    then waits for the bridge's BYE and answers it."""
    sends, cseq = [], 2
    for entry in entries:
        for key in entry:
            sends.append(
                "<send><![CDATA[\n\nINFO [next_url] SIP/2.0\n"
                "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
                f"From: <sip:{number}@[local_ip]>;tag=[pid]SIPpTag00[call_number]\n"
                "To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]\n"
                f"Call-ID: [call_id]\nCSeq: {cseq} INFO\nMax-Forwards: 70\n"
                "Content-Type: application/dtmf-relay\nContent-Length: [len]\n\n"
                f"Signal={key}\nDuration=160\n]]></send>"
                '<recv response="200"/><pause milliseconds="150"/>'
            )
            cseq += 1
        sends.append('<pause milliseconds="1500"/>')
    head = sipp_call_opening(number, "SIP INFO caller") + '<pause milliseconds="1000"/>\n'
    tail = """<recv request="BYE" timeout="60000"/>
<send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""
    return head + "\n".join(sends) + "\n" + tail


def sipp_info_call(
    folder: Path,
    bridge_port: int,
    *,
    number: str,
    entries: list[str],
    to: str = "bridge",
    transport: str = "u1",
    calls: int = 1,
) -> subprocess.CompletedProcess[str]:
    """Run SIP INFO calls to `sip:<to>@bridge` with SIPp (Debian's sip-tester), over UDP
    (`u1`) or TCP (`t1`), `calls` of them at once; exit code 0 once the bridge hung up on
    every one."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "info.xml"
    scenario.write_text(sip_info_scenario(number, entries))
    return subprocess.run(
        ["sipp", f"{HOST}:{bridge_port}", "-sf", str(scenario), "-s", to,
         "-m", str(calls), "-l", str(calls), "-r", str(calls), "-t", transport,
         "-i", HOST, "-p", str(free_port()), "-mi", HOST, "-mp", str(free_port() & ~1),
         "-nostdin", "-nd", "-trace_err"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False,
        cwd=folder,
    )  # fmt: skip


TRUNK_REALM = "trunk.test"


def trunk_scenario(user: str, password: str, code: str) -> str:
    """A SIPp UAS playing the operator's trunk: it takes the bridge's REGISTER, challenges
    it (401, digest), checks that the second one is signed by `user` with `password`, accepts
    it, then rings the registered Contact as a trunk routes a call to its number, types
    `code` and '#' with SIP INFO, and hangs up once the bridge has had time to check it."""
    infos, cseq = [], 2
    for key in f"{code}#":
        infos.append(
            "<send><![CDATA[\n\nINFO [$contact] SIP/2.0\n"
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
            "From: <sip:+4930555507777@" + TRUNK_REALM + ">;tag=trunk[call_number]\n"
            "To: <sip:+4930555500000@" + TRUNK_REALM + ">;tag=[$totag]\n"
            f"Call-ID: [call_id]\nCSeq: {cseq} INFO\nMax-Forwards: 70\n"
            "Content-Type: application/dtmf-relay\nContent-Length: [len]\n\n"
            f"Signal={key}\nDuration=160\n]]></send>"
            '<recv response="200"/><pause milliseconds="150"/>'
        )
        cseq += 1
    answer = """<send><![CDATA[

SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]trunk[call_number]
[last_Call-ID:]
[last_CSeq:]
{extra}Content-Length: 0

]]></send>"""
    challenge = answer.format(
        status="401 Unauthorized",
        extra=f'WWW-Authenticate: Digest realm="{TRUNK_REALM}", '
        'nonce="[pid][call_number]onstream", algorithm=MD5\n',
    )
    accepted = answer.format(status="200 OK", extra="[last_Contact:];expires=300\n")
    refused = answer.format(status="403 Forbidden", extra="")
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="trunk registrar">
<recv request="REGISTER"/>
{challenge}
<recv request="REGISTER">
  <action>
    <ereg regexp="Digest .*username=&quot;{user}&quot;" search_in="hdr" header="Authorization:"
          check_it="true" assign_to="junk"/>
    <ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:"
          assign_to="junk,contact"/>
    <verifyauth assign_to="valid" username="{user}" password="{password}"/>
  </action>
</recv>
<nop hide="true" test="valid" next="valid"/>
{refused}
<recv request="REGISTER" timeout="100"/>
<label id="valid"/>
{accepted}
<pause milliseconds="500"/>
<send retrans="500"><![CDATA[

INVITE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+4930555507777@{TRUNK_REALM}>;tag=trunk[call_number]
To: <sip:+4930555500000@{TRUNK_REALM}>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:trunk@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=trunk 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rrs="true">
  <action>
    <ereg regexp=";tag=([^;&gt;]*)" search_in="hdr" header="To:" assign_to="junk,totag"/>
  </action>
</recv>
<send><![CDATA[

ACK [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+4930555507777@{TRUNK_REALM}>;tag=trunk[call_number]
To: <sip:+4930555500000@{TRUNK_REALM}>;tag=[$totag]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="1000"/>
{"".join(infos)}
<pause milliseconds="3000"/>
<send><![CDATA[

BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+4930555507777@{TRUNK_REALM}>;tag=trunk[call_number]
To: <sip:+4930555500000@{TRUNK_REALM}>;tag=[$totag]
Call-ID: [call_id]
CSeq: {cseq} BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
"""
