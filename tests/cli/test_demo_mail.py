"""What `onstream serve --demo` says about its e-mail: where it goes, and without a relay how
to read what it kept."""

from __future__ import annotations

import pytest

from onstream.cli.serve import print_demo
from onstream.config import load_settings


def test_without_a_relay_the_demo_says_how_to_read_its_mail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_demo(load_settings({}, env_file=None), "secret-password host-key")
    out = capsys.readouterr().out
    assert "E-mail is not sent (no ONSTREAM_SMTP_HOST)" in out
    assert "  onstream outbox\n" in out
    assert "  onstream outbox show ID\n" in out


def test_with_a_relay_the_demo_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    relay = {"ONSTREAM_SMTP_HOST": "smtp.example.org", "ONSTREAM_SMTP_PORT": "587"}
    print_demo(load_settings(relay, env_file=None), "secret-password host-key")
    out = capsys.readouterr().out
    assert "E-mail goes out through smtp.example.org:587." in out
    assert "outbox show" not in out
