"""The account center's files and recordings in a real browser (Debian's Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.recordings import add_recording, wav_bytes
from tests.support.server import Server
from tests.web.helpers import login_of, new_session

from onstream.files.tables import files_in_sessions

pytestmark = pytest.mark.live  # Chromium talks to a real socket


def sign_in(page: Page, server: Server, login: str) -> None:
    page.goto(f"{server.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")


def test_upload_a_file_and_share_it_to_open_for_everyone(
    server: Server, make_account: MakeAccount, page: Page, tmp_path: Path
) -> None:
    account = make_account(timezone="UTC")
    session = new_session(account, topic="Launch briefing")
    notes = tmp_path / "agenda.txt"
    notes.write_text("1. Welcome\n2. Numbers\n")
    page.set_viewport_size({"width": 360, "height": 740})  # a phone
    sign_in(page, server, login_of(account))

    page.get_by_role("link", name="Files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Files")
    page.get_by_label("File", exact=True).set_input_files(str(notes))
    page.get_by_label("Description (optional)").fill("Agenda")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    expect(page.get_by_role("status")).to_have_text("The file is uploaded.")
    page.get_by_label("Session", exact=True).select_option(
        label="Launch briefing, Wednesday, 10 July 2030, 18:00 UTC"
    )
    page.get_by_label("Open it for everyone when they enter the room").check()
    page.get_by_role("button", name="Share").click()

    expect(page.get_by_role("status")).to_have_text("The file is shared in the session.")
    shares = page.get_by_role("region", name="Shared in sessions")
    expect(shares).to_contain_text("Launch briefing")
    expect(shares).to_contain_text("Opens for everyone in the room")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    rows = server.query(
        select(files_in_sessions).where(files_in_sessions.c.session_id == session.id)
    )
    assert [bool(r["is_auto_opening"]) for r in rows] == [True]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download", exact=True).click()
    saved = tmp_path / "downloaded.txt"
    download.value.save_as(saved)
    assert saved.read_text() == "1. Welcome\n2. Numbers\n"


def test_rename_protect_and_play_a_recording(
    server: Server, make_account: MakeAccount, page: Page, tmp_path: Path
) -> None:
    account = make_account()
    session = new_session(account, topic="Weekly sync")
    media = tmp_path / "sync.wav"
    media.write_bytes(wav_bytes(1.0))
    add_recording(server, account, session.id, title="Untitled take", media=media)
    sign_in(page, server, login_of(account))

    page.get_by_role("link", name="Recordings").click()
    page.get_by_role("link", name="Untitled take", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Untitled take")
    page.get_by_label("Title").fill("Weekly sync, 3 March")
    page.get_by_role("button", name="Save title").click()
    expect(page.get_by_role("status")).to_have_text("The recording is saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly sync, 3 March")
    page.get_by_label("New password").fill("listen-in")
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".details")).to_contain_text("Yes: viewers must enter it")

    page.get_by_role("link", name="Play", exact=True).click()
    expect(page).to_have_url(re.compile(r"/play/[0-9]+-Weekly-sync-3-March$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly sync, 3 March")
    page.get_by_label("Screen name").fill("Owner")
    page.get_by_label("Password").fill("listen-in")
    page.get_by_role("button", name="Watch").click()
    player = page.locator("#player")
    expect(player).to_be_visible()
    page.wait_for_function(
        "() => { const p = document.querySelector('#player'); return p && p.duration > 0.9; }",
        timeout=20_000,
    )
