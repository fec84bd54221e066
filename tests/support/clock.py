"""The server's clock moved forward by a test, instead of the test waiting for time to pass.

Every timestamp the server writes or compares comes from `onstream.clock.utcnow`. Modules
import it by name, so the clock is replaced in each loaded `onstream` module that holds it
(and in `onstream.clock` for later imports). It moves only for code in this process: the
in-process application (tests.support.app), not a server subprocess.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest

from onstream import clock

_real_utcnow = clock.utcnow


class Clock:
    """Real time plus an offset the test advances."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def utcnow(self) -> datetime:
        return _real_utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump forward: what would be `seconds` from now is now."""
        self.offset += timedelta(seconds=seconds)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Clock:
        for name, module in list(sys.modules.items()):
            if name.startswith("onstream") and getattr(module, "utcnow", None) is _real_utcnow:
                monkeypatch.setattr(module, "utcnow", self.utcnow)
        return self
