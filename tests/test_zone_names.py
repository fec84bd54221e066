"""The IANA zones people pick from, and the old names browsers report."""

from __future__ import annotations

from zoneinfo import available_timezones

from onstream.timezones import is_timezone
from onstream.zone_names import ICU_NAMES, browser_aliases, canonical, offered


def test_the_offered_zones_are_todays_places_and_utc() -> None:
    names = offered()
    assert {"Europe/Berlin", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"} <= set(names)
    assert not {"US/Eastern", "EST5EDT", "Etc/GMT+1", "posixrules", "Asia/Calcutta"} & set(names)
    assert list(names) == sorted(names)
    assert is_timezone("US/Eastern")  # accepted all the same


def test_old_names_are_todays() -> None:
    assert canonical("Asia/Calcutta") == "Asia/Kolkata"
    assert canonical("Europe/Kiev") == "Europe/Kyiv"
    assert canonical("Europe/Berlin") == "Europe/Berlin"
    assert canonical("UP1") == "UP1"


def test_every_name_icu_keeps_leads_to_an_offered_zone() -> None:
    zones = available_timezones()
    for old, new in ICU_NAMES.items():
        assert old in zones
        assert new in offered()
        assert browser_aliases()[old] == new
