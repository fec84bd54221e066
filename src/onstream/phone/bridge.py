"""One call from ringing to hang-up, and the bridge service `onstream phone` runs.

ring ─► answered, "Enter the meeting's access code, then the hash key"
     ─► code (typed and '#', or the Request-URI user of `sip:<code>@bridge`)
     ─► wrong: "not right, again" (3 tries, then goodbye); too many guesses from this
        number or at this bridge: "too many attempts", hang up
     ─► not open yet: "it opens at 14 30" (the account's clock), hang up
     ─► no bridge / ended: said, hang up
     ─► in: admitted as "Phone ··· 1234", published into the VideoRoom, the room's mix
        played; '*6' mutes oneself; removed, or the meeting ends: said, hang up
hang-up ─► the admission ends (people list, participant.left at once)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from onstream.config import Settings
from onstream.meetings.engine import JanusRooms, MeetingUnavailable
from onstream.phone.admission import Doorkeeper, Early, Entry, Meeting, Refusal
from onstream.phone.dialog import (
    CodeEntry,
    InMeetingKeys,
    caller_label,
    caller_number,
    dialled_code,
    parse_code,
)
from onstream.phone.prompts import ensure_prompts, opening_words, speak
from onstream.phone.publisher import PublisherFailed, RoomPublisher
from onstream.phone.sip import CallLink, SipEndpoint, SipSettings
from onstream.storage.database import Database
from onstream.throttle import Throttle

log = logging.getLogger("onstream.phone")
T = TypeVar("T")
TRIES = 3
"""Wrong codes one call may enter before it is told goodbye."""
DIGIT_TIMEOUT = 20.0
"""Seconds of silence on the keypad before an entry counts as wrong."""
CHECK_SECONDS = 5.0
"""How often a caller in a meeting checks that they are still admitted (removal, end)."""


class CallEnded(Exception):
    """The caller hung up."""


def parse_address(text: str, variable: str) -> tuple[str, int]:
    """`host:port` (port 5060 when left out) of a SIP setting."""
    host, _, port = text.strip().rpartition(":")
    if not host:
        host, port = text.strip(), "5060"
    if not port.isdigit() or not host:
        raise ValueError(f"{variable} must be host:port, not {text!r}")
    return host.strip("[]"), int(port)


def sip_settings(settings: Settings) -> SipSettings:
    """The endpoint's settings from `ONSTREAM_SIP_*`."""
    if not settings.sip_address:
        raise ValueError("ONSTREAM_SIP_ADDRESS is not set: the phone bridge is off")
    host, port = parse_address(settings.sip_address, "ONSTREAM_SIP_ADDRESS")
    public_host, public_port = (
        parse_address(settings.sip_public_address, "ONSTREAM_SIP_PUBLIC_ADDRESS")
        if settings.sip_public_address
        else (None, None)
    )
    return SipSettings(
        host=host,
        port=port,
        public_host=public_host,
        public_port=public_port,
        trunk_uri=settings.sip_trunk_uri,
        trunk_user=settings.sip_trunk_user,
        trunk_password=settings.sip_trunk_password,
    )


class Bridge:
    """The SIP endpoint and the conversation with every caller."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.rooms = JanusRooms(settings)
        self.throttle = Throttle(settings)
        self.doorkeeper = Doorkeeper(settings, database, self.rooms, self.throttle)
        self.prompts_dir = Path(settings.phone_prompts_dir).absolute()
        self.prompts = ensure_prompts(self.prompts_dir)
        self.calls: set[asyncio.Task[None]] = set()
        self.sip: SipEndpoint | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Answer calls until `stop` is set."""
        loop = asyncio.get_running_loop()
        self.sip = SipEndpoint(sip_settings(self.settings), loop, self._on_call)
        await asyncio.to_thread(self.sip.start)
        log.info("phone bridge listening on %s", self.settings.sip_address)
        try:
            await stop.wait()
        finally:
            for task in list(self.calls):
                task.cancel()
            for task in list(self.calls):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await asyncio.to_thread(self.sip.stop)
            await self.rooms.aclose()
            await self.throttle.aclose()

    def _on_call(self, link: CallLink) -> None:
        task = asyncio.create_task(self.converse(link))
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def converse(self, link: CallLink) -> None:
        """The whole conversation with one caller; always ends with a hang-up."""
        try:
            await self._until_ended(link, link.media_ready.wait(), limit=10.0)
            meeting = await self._ask_code(link)
            if meeting is not None:
                await self._in_meeting(link, meeting)
        except CallEnded:
            return
        except Exception:
            log.exception("call %s failed", link.call_id)
        assert self.sip is not None
        self.sip.hangup(link)

    async def _ask_code(self, link: CallLink) -> Meeting | None:
        number = caller_number(link.remote_uri)
        direct = dialled_code(link.local_uri)
        if direct is not None:
            verdict = await self.doorkeeper.check(direct, number=number)
            return await self._verdict(link, verdict, last=True)
        if await self.doorkeeper.blocked(number):
            log.info("call %s from %s refused: too-many", link.call_id, number)
            await self._say(link, "too-many")
            return None
        await self._say(link, "welcome", interruptible=True)
        entry = CodeEntry()
        for attempt in range(1, TRIES + 1):
            typed = await self._read_entry(link, entry)
            verdict = await self.doorkeeper.check(parse_code(typed), number=number)
            found = await self._verdict(link, verdict, last=attempt == TRIES)
            if found is not None or verdict is not Refusal.WRONG:
                return found
        return None

    async def _verdict(
        self, link: CallLink, verdict: Meeting | Early | Refusal, *, last: bool
    ) -> Meeting | None:
        if isinstance(verdict, Meeting):
            log.info("call %s: code accepted, session %s", link.call_id, verdict.session_id)
            return verdict
        log.info(
            "call %s from %s refused: %s",
            link.call_id,
            caller_number(link.remote_uri),
            "early" if isinstance(verdict, Early) else verdict.value,
        )
        if isinstance(verdict, Early):
            await self._say_words(link, opening_words(verdict.opens, verdict.now))
        elif verdict is Refusal.WRONG:
            await self._say(link, "wrong-goodbye" if last else "wrong", interruptible=not last)
        else:
            await self._say(link, verdict.value)
        return None

    async def _read_entry(self, link: CallLink, entry: CodeEntry) -> str:
        """Keys until '#'; what was typed when the keypad stays silent too long."""
        while True:
            try:
                digit = await self._until_ended(link, link.digits.get(), limit=DIGIT_TIMEOUT)
            except TimeoutError:
                return entry.key("#") or ""
            typed = entry.key(digit)
            if typed is not None:
                return typed

    async def _in_meeting(self, link: CallLink, meeting: Meeting) -> None:
        assert self.sip is not None
        try:
            entry = await self.doorkeeper.admit(meeting, name=caller_label(link.remote_uri))
        except MeetingUnavailable:
            await self._say(link, "unavailable")
            return
        if entry is None:
            await self._say(link, "ended")
            return
        publisher = RoomPublisher(
            janus_url=entry.room.server,
            room=entry.room.janus_room,
            secret=entry.room.secret,
            admin_key=self.settings.janus_admin_key or "",
            participant=entry.admission.participant,
            display=entry.admission.name,
            token=entry.token,
            forward_host=self.settings.phone_media_host,
        )
        try:
            try:
                await publisher.start()
            except (PublisherFailed, OSError, TimeoutError) as exc:
                log.warning("call %s could not join the room: %s", link.call_id, exc)
                await self._say(link, "unavailable")
                return
            await self._say(link, "joining", interruptible=True)
            loop = asyncio.get_running_loop()
            track = publisher.track

            def heard(pcm: bytes) -> None:
                loop.call_soon_threadsafe(track.push, pcm)

            self.sip.connect(link, heard, publisher.mix.take)
            cpu, wall = time.process_time(), time.monotonic()
            ending = await self._stay(link, entry, publisher)
            log.info(
                "call %s in the meeting %.1f s, bridge process CPU %.1f %% of a core meanwhile;"
                " to the caller %d voice frames, %d short; from the caller %d frames, %d dropped",
                link.call_id,
                time.monotonic() - wall,
                100 * (time.process_time() - cpu) / max(time.monotonic() - wall, 1e-3),
                publisher.mix.voiced,
                publisher.mix.short,
                publisher.track.frames,
                publisher.track.dropped,
            )
            if ending:
                await self._say(link, ending)
        finally:
            await publisher.stop()
            await self.doorkeeper.left(entry)

    async def _stay(self, link: CallLink, entry: Entry, publisher: RoomPublisher) -> str | None:
        """While in the meeting: '*6', and watch for removal or the end. The prompt to say
        when the bridge ends the call, None when the caller hung up."""
        keys = InMeetingKeys()
        while not link.ended.is_set():
            digit_task = asyncio.ensure_future(link.digits.get())
            waits = [digit_task, asyncio.ensure_future(link.ended.wait())]
            waits.append(asyncio.ensure_future(publisher.gone.wait()))
            done, pending = await asyncio.wait(
                waits, timeout=CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if link.ended.is_set():
                return None
            if digit_task in done and keys.key(digit_task.result()):
                publisher.track.muted = keys.muted
                self.sip_say(link, "muted" if keys.muted else "unmuted")
            if publisher.gone.is_set() or not await self.doorkeeper.still_admitted(entry):
                return "removed" if await self.doorkeeper.room_open(entry) else "meeting-ended"
        return None

    def sip_say(self, link: CallLink, prompt: str) -> None:
        """Say a prompt without waiting for its end (in the meeting, over the room's mix)."""
        assert self.sip is not None
        self.sip.play(link, self.prompts[prompt])

    async def _say_words(self, link: CallLink, text: str) -> None:
        """Say words made for this call (espeak-ng, in a thread), then forget their file."""
        path = await asyncio.to_thread(speak, self.prompts_dir, text)
        log.info("call %s said: %s", link.call_id, text)
        try:
            await self._play(link, path)
        finally:
            path.unlink(missing_ok=True)

    async def _say(self, link: CallLink, prompt: str, *, interruptible: bool = False) -> None:
        """Play a prompt to its end; a key pressed meanwhile cuts it short when allowed
        (the key is kept for the entry)."""
        await self._play(link, self.prompts[prompt], interruptible=interruptible)

    async def _play(self, link: CallLink, path: Path, *, interruptible: bool = False) -> None:
        assert self.sip is not None
        played = self.sip.play(link, path)
        waits: list[Awaitable[object]] = [played, link.ended.wait()]
        tasks = [asyncio.ensure_future(w) for w in waits]
        if interruptible:
            tasks.append(asyncio.ensure_future(_key_waiting(link)))
        _, pending = await asyncio.wait(tasks, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if link.ended.is_set():
            raise CallEnded

    async def _until_ended(self, link: CallLink, waited: Awaitable[T], *, limit: float) -> T:
        """`waited`'s result; raises CallEnded when the caller hangs up first, TimeoutError
        after `limit` seconds."""
        task = asyncio.ensure_future(waited)
        ended = asyncio.ensure_future(link.ended.wait())
        done, _ = await asyncio.wait(
            {task, ended}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
        ended.cancel()
        if task in done:
            return task.result()
        task.cancel()
        if link.ended.is_set():
            raise CallEnded
        raise TimeoutError


async def _key_waiting(link: CallLink) -> None:
    """Done once a key is queued (without taking it)."""
    while link.digits.empty():  # noqa: ASYNC110 - an asyncio.Queue has no "not empty" event
        await asyncio.sleep(0.05)
