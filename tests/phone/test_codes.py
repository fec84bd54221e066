"""The bridge's rules without a telephone: access codes to meetings, guess limits, the
operator's switch, and the keypad. A real server process and database; no SIP, no Janus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from onstream.config import load_settings
from onstream.meetings.engine import JanusRooms
from onstream.phone.admission import Doorkeeper, Early, Meeting, Refusal
from onstream.phone.bridge import parse_address, sip_settings
from onstream.phone.dialog import (
    CodeEntry,
    InMeetingKeys,
    caller_label,
    caller_number,
    dialled_code,
    parse_code,
)
from onstream.phone.prompts import PROMPTS, ensure_prompts, opening_words, speak
from onstream.storage.database import open_database
from onstream.throttle import Throttle
from tests.support.api import ok, rest
from tests.support.server import ServerProcess

pytestmark = pytest.mark.live
OWNER = ("rita", "rita-password-1")


@pytest.fixture
def server(tmp_path: Path, new_database: Callable[[Path], str]) -> Any:
    proc = ServerProcess(workdir=tmp_path, database_url=new_database(tmp_path))
    proc.add_account(*OWNER, phone_bridge=True)
    proc.start()
    yield proc
    proc.stop()


def new_session(proc: ServerProcess, *, minutes_from_now: int) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=minutes_from_now)
    data = {"topic": "Call", "duration": 30, "timezone": "UTC"}
    data["start_time"] = f"{start:%Y-%m-%d %H:%M:%S}"
    with proc.api_client(*OWNER) as client:
        session_id = ok(rest(client, "PUT", "session", data), 201)["id"]
        return dict(
            ok(client.get(f"session/id/{session_id}/format/json"))["sessions"][0], id=session_id
        )


def test_codes_lead_to_open_meetings_and_wrong_ones_count(server: ServerProcess) -> None:
    open_now = new_session(server, minutes_from_now=-1)
    later = new_session(server, minutes_from_now=600)
    over = new_session(server, minutes_from_now=-600)
    assert len(str(open_now["session_access_code"])) == 9
    settings = load_settings(
        {
            "ONSTREAM_DATABASE_URL": server.database_url,
            "ONSTREAM_RATE_LIMIT_ADDRESS": "3/minute",
            "ONSTREAM_RATE_LIMIT_TARGET": "5/minute",
        },
        env_file=None,
    )

    async def check() -> None:
        database = open_database(server.database_url)
        door = Doorkeeper(settings, database, JanusRooms(settings), Throttle(settings))
        try:
            found = await door.check(int(open_now["session_access_code"]), number="+1")
            assert isinstance(found, Meeting)
            assert found.session_id == open_now["id"]
            assert isinstance(
                await door.check(int(later["session_access_code"]), number="+1"), Early
            )
            assert await door.check(int(over["session_access_code"]), number="+1") is Refusal.ENDED
            wrong = (int(open_now["session_access_code"]) + 1) % 10**9
            assert [await door.check(wrong, number="+2") for _ in range(3)] == [Refusal.WRONG] * 3
            # the number is locked out, even with the right code; another number is not
            assert await door.check(int(open_now["session_access_code"]), number="+2") is (
                Refusal.TOO_MANY
            )
            assert await door.check(None, number="+3") is Refusal.WRONG
            assert await door.check(None, number="+4") is Refusal.WRONG
            # five failures at the bridge: everybody waits
            assert await door.check(int(open_now["session_access_code"]), number="+5") is (
                Refusal.TOO_MANY
            )
        finally:
            await database.dispose()

    asyncio.run(check())


def test_a_meeting_not_open_yet_tells_its_opening_time_on_the_accounts_clock(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.add_account("berta", "berta-password-1", timezone="Europe/Berlin", phone_bridge=True)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=12, minute=40, second=0)
    with server.api_client("berta", "berta-password-1") as client:
        data = {"topic": "Later", "duration": 30, "timezone": "UTC"}
        data["start_time"] = f"{start:%Y-%m-%d %H:%M:%S}"
        session_id = ok(rest(client, "PUT", "session", data), 201)["id"]
        code = ok(client.get(f"session/id/{session_id}/format/json"))["sessions"][0][
            "session_access_code"
        ]
    settings = load_settings({"ONSTREAM_DATABASE_URL": server.database_url}, env_file=None)

    async def check() -> Early | Meeting | Refusal:
        database = open_database(server.database_url)
        door = Doorkeeper(settings, database, JanusRooms(settings), Throttle(settings))
        try:
            return await door.check(int(code), number="+1")
        finally:
            await database.dispose()

    found = asyncio.run(check())
    assert isinstance(found, Early)
    berlin = (start - timedelta(minutes=15)).astimezone(ZoneInfo("Europe/Berlin"))
    assert found.opens == berlin.replace(tzinfo=None, microsecond=0)
    words = opening_words(found.opens, found.now)
    assert f"It opens on {berlin:%A} at {berlin.hour} 25." in words
    spoken = speak(tmp_path, words)
    assert spoken.read_bytes()[:4] == b"RIFF"


def test_opening_times_in_words() -> None:
    now = datetime(2026, 12, 7, 9, 0)  # a Monday
    assert opening_words(datetime(2026, 12, 7, 14, 30), now) == (
        "This meeting is not open yet. It opens at 14 30. Please call again then. Goodbye."
    )
    assert "opens at 9 oh 5." in opening_words(datetime(2026, 12, 7, 9, 5), now)
    assert "opens tomorrow at 8 hundred." in opening_words(datetime(2026, 12, 8, 8, 0), now)
    assert "opens on Friday at 0 45." in opening_words(datetime(2026, 12, 11, 0, 45), now)
    assert "opens on Tuesday, December 22, at 10 15." in opening_words(
        datetime(2026, 12, 22, 10, 15), now
    )


def test_the_operator_turns_the_bridge_off_and_on(server: ServerProcess) -> None:
    session = new_session(server, minutes_from_now=30)
    assert session["session_access_code"] is not None
    off = server.cli("user", "phone-bridge", OWNER[0], "off")
    assert off.returncode == 0, off.stderr
    assert "1 sessions lost their code" in off.stdout
    with server.api_client(*OWNER) as client:
        shown = ok(client.get(f"session/id/{session['id']}/format/json"))["sessions"][0]
        assert shown["session_access_code"] is None
        unbridged = new_session(server, minutes_from_now=30)
        assert unbridged["session_access_code"] is None
        on = server.cli("user", "phone-bridge", OWNER[0], "on")
        assert on.returncode == 0, on.stderr
        assert "2 sessions got a code" in on.stdout
        shown = ok(client.get(f"session/id/{session['id']}/format/json"))["sessions"][0]
        assert len(str(shown["session_access_code"])) == 9
    missing = server.cli("user", "phone-bridge", "nobody", "on")
    assert missing.returncode == 1
    assert "no account 'nobody'" in missing.stderr


def test_the_keypad_and_the_names_of_callers() -> None:
    entry = CodeEntry()
    assert [entry.key(k) for k in "12*98"] == [None] * 5
    assert entry.key("#") == "98"
    assert entry.key("#") == ""
    assert parse_code("123456789") == 123456789
    assert parse_code("12345678") is None
    keys = InMeetingKeys()
    assert [keys.key(k) for k in "*6"] == [False, True]
    assert keys.muted
    assert [keys.key(k) for k in "6*5*6"] == [False, False, False, False, True]
    assert not keys.muted
    assert caller_label('"Ann" <sip:+4930123451234@trunk.example>') == "Phone ··· 1234"
    assert caller_label("<sip:anonymous@anonymous.invalid>") == "Phone"
    assert caller_label("<sip:bob@example.com>") == "Phone"
    assert caller_number("<sip:+4930123;user=phone@x>") == "+4930123"
    assert caller_number("garbage") == "withheld"
    assert dialled_code("<sip:123456789@bridge.example:5060>") == 123456789
    assert dialled_code("<sip:bridge@bridge.example>") is None


def test_settings_and_prompts(tmp_path: Path) -> None:
    assert parse_address("10.0.0.5:5070", "X") == ("10.0.0.5", 5070)
    assert parse_address("sip.example.com", "X") == ("sip.example.com", 5060)
    with pytest.raises(ValueError, match="X must be host:port"):
        parse_address("host:port", "X")
    settings = load_settings(
        {"ONSTREAM_SIP_ADDRESS": "10.0.0.5:5070", "ONSTREAM_SIP_PUBLIC_ADDRESS": "203.0.113.9"},
        env_file=None,
    )
    sip = sip_settings(settings)
    assert (sip.host, sip.port, sip.public_host, sip.public_port) == (
        "10.0.0.5",
        5070,
        "203.0.113.9",
        5060,
    )
    with pytest.raises(ValueError, match="ONSTREAM_SIP_ADDRESS is not set"):
        sip_settings(load_settings({}, env_file=None))
    made = ensure_prompts(tmp_path)
    assert set(made) == set(PROMPTS)
    assert all(path.read_bytes()[:4] == b"RIFF" for path in made.values())
    first = made["welcome"].stat().st_mtime_ns
    assert ensure_prompts(tmp_path)["welcome"].stat().st_mtime_ns == first  # made once


def test_invitations_show_the_dial_in_numbers_with_the_code() -> None:
    from email import message_from_bytes, policy

    from onstream.mail.messages import Invitation, build

    settings = load_settings(
        {"ONSTREAM_DIAL_IN_NUMBERS": "+49 30 1234567, +1 555 0100"}, env_file=None
    )
    assert settings.dial_in_list == ("+49 30 1234567", "+1 555 0100")
    invite = Invitation(
        kind="invitation",
        session_id=1,
        sequence=0,
        topic="Call",
        start_utc=datetime(2030, 1, 1, 12, 0),
        duration=30,
        passcode=None,
        access_code=123456789,
        link="https://example.com/x/go/t",
        recipient_email="ann@example.com",
        recipient_name="Ann",
        host_name="Rita",
        host_email="rita@example.com",
        zone="UTC",
        dst=False,
        dial_in=settings.dial_in_list,
    )
    message = message_from_bytes(
        build(invite, sender="noreply@example.com", now=datetime(2029, 1, 1)).data,
        policy=policy.default,
    )
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "call +49 30 1234567 or +1 555 0100, enter 123456789 and #" in text
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "call +49 30 1234567 or +1 555 0100, enter 123456789 and #" in html
    without = build(replace(invite, dial_in=()), sender="x@example.com", now=datetime(2029, 1, 1))
    assert b"By phone" not in without.data
    assert b"123456789" in without.data


NUMBERS = "+49 30 1234567, +1 555 0100"
PLAIN = ("bert", "bert-password-1")


@pytest.fixture
def numbered(tmp_path: Path, new_database: Callable[[Path], str]) -> Any:
    """A server with dial-in numbers, a bridged account (OWNER) and one without (PLAIN)."""
    proc = ServerProcess(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={"ONSTREAM_DIAL_IN_NUMBERS": NUMBERS},
    )
    proc.add_account(*OWNER, phone_bridge=True)
    proc.add_account(*PLAIN)
    proc.start()
    yield proc
    proc.stop()


def _plain_session(proc: ServerProcess) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=30)
    data = {"topic": "Call", "duration": 30, "timezone": "UTC"}
    data["start_time"] = f"{start:%Y-%m-%d %H:%M:%S}"
    with proc.api_client(*PLAIN) as client:
        session_id = ok(rest(client, "PUT", "session", data), 201)["id"]
        return dict(
            ok(client.get(f"session/id/{session_id}/format/json"))["sessions"][0], id=session_id
        )


def test_the_lobby_shows_the_numbers_with_the_code(numbered: ServerProcess) -> None:
    bridged = new_session(numbered, minutes_from_now=30)
    code = str(bridged["session_access_code"])
    page = numbered.get(bridged["session_link"])
    assert page.status_code == 200
    assert 'id="dial-in"' in page.text
    assert "+49 30 1234567" in page.text
    assert "+1 555 0100" in page.text
    assert f'enter <span class="access-code">{code}</span> and #' in page.text
    plain = _plain_session(numbered)
    assert plain["session_access_code"] is None
    other = numbered.get(plain["session_link"])
    assert other.status_code == 200
    assert 'id="dial-in"' not in other.text
    assert "+49 30 1234567" not in other.text


def test_a_waiting_rooms_public_lobby_shows_no_code_to_dial_round_it(
    numbered: ServerProcess,
) -> None:
    bridged = new_session(numbered, minutes_from_now=30)
    with numbered.api_client(*OWNER) as client:
        ok(rest(client, "POST", "session", {"id": bridged["id"], "waiting_room": 1}))
    page = numbered.get(bridged["session_link"])
    assert page.status_code == 200
    assert "a moderator lets you in" in page.text
    assert 'id="dial-in"' not in page.text
    assert str(bridged["session_access_code"]) not in page.text


def test_the_lobby_shows_no_numbers_when_the_server_has_none(server: ServerProcess) -> None:
    bridged = new_session(server, minutes_from_now=30)
    page = server.get(bridged["session_link"])
    assert page.status_code == 200
    assert 'id="dial-in"' not in page.text


def test_get_session_returns_the_numbers_only_when_asked(numbered: ServerProcess) -> None:
    bridged = new_session(numbered, minutes_from_now=30)
    assert "session_dial_in_numbers" not in bridged
    asked = "return/id;session_access_code;session_dial_in_numbers"
    with numbered.api_client(*OWNER) as client:
        one = ok(client.get(f"session/id/{bridged['id']}/{asked}/format/json"))["sessions"][0]
        assert one == {
            "id": bridged["id"],
            "session_access_code": bridged["session_access_code"],
            "session_dial_in_numbers": ["+49 30 1234567", "+1 555 0100"],
        }
        listed = ok(client.get(f"sessions/{asked}/format/json"))["sessions"]
        assert listed == [one]
        xml = client.get(f"session/id/{bridged['id']}/{asked}/format/xml")
        assert xml.status_code == 200
        assert "<number>+49 30 1234567</number>" in xml.text
    plain = _plain_session(numbered)
    with numbered.api_client(*PLAIN) as client:
        shown = ok(client.get(f"session/id/{plain['id']}/{asked}/format/json"))["sessions"][0]
        assert shown["session_dial_in_numbers"] is None
        assert (
            "session_dial_in_numbers" not in ok(client.get("sessions/format/json"))["sessions"][0]
        )
        # Another account's session stays out of reach, numbers or not.
        assert client.get(f"session/id/{bridged['id']}/{asked}/format/json").status_code == 404
