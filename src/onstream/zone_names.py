"""The IANA zones a person picks from, and the old names browsers still report.

Pickers offer places (`Europe/Berlin`) and `UTC`, not the old aliases that `zoneinfo` also
accepts (`US/Eastern`, `Asia/Calcutta`). A browser's zone
(`Intl.DateTimeFormat().resolvedOptions().timeZone`) is ICU's name, which for some places is
the old one (Chromium says `Asia/Calcutta` for Kolkata): `canonical` gives today's name, from
the system's `tzdata.zi` links, else from the table of the names ICU keeps.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path

AREAS: tuple[str, ...] = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia")
AREAS += ("Europe", "Indian", "Pacific")

ICU_NAMES = {
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Catamarca": "America/Argentina/Catamarca",
    "America/Cordoba": "America/Argentina/Cordoba",
    "America/Godthab": "America/Nuuk",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Jujuy": "America/Argentina/Jujuy",
    "America/Louisville": "America/Kentucky/Louisville",
    "America/Mendoza": "America/Argentina/Mendoza",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Europe/Kiev": "Europe/Kyiv",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
}
"""Old names ICU (and so a browser) still reports, and today's: used where the system has
no `tzdata.zi` to read the links from."""


@lru_cache(maxsize=1)
def links() -> dict[str, str]:
    """Every old name of a place in an area and the zone it now names (`Asia/Calcutta` ->
    `Asia/Kolkata`): the `L` lines of the system's `tzdata.zi`, then `ICU_NAMES`, which keep
    the place where a link leads to another (`Pacific/Ponape` is Pohnpei, not Guadalcanal)."""
    found: dict[str, str] = {}
    for root in zoneinfo.TZPATH:
        path = Path(root) / "tzdata.zi"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "L" and parts[2].startswith(_prefixes()):
                    found[parts[2]] = parts[1]
            break
    return {**found, **ICU_NAMES}


def _prefixes() -> tuple[str, ...]:
    return tuple(f"{area}/" for area in AREAS)


@lru_cache(maxsize=1)
def offered() -> tuple[str, ...]:
    """The zones a person picks from, sorted: places in an area, today's names only, and
    `UTC`. Aliases (`US/Eastern`, `Etc/GMT+1`, `Asia/Calcutta`) are accepted, not offered."""
    names = zoneinfo.available_timezones()
    old = links()
    places = (n for n in names if n.startswith(_prefixes()) and n not in old)
    return tuple(sorted([*places, "UTC"]))


def canonical(name: str) -> str:
    """Today's name of a zone (`Asia/Calcutta` -> `Asia/Kolkata`); any other name as given."""
    return links().get(name, name)


def browser_aliases() -> dict[str, str]:
    """The old names a browser may report whose zone is offered: for the picker's script."""
    shown = set(offered())
    return {old: new for old, new in links().items() if new in shown}
