"""Fixtures for the web pages: an owner with sessions and invitees, and a real browser."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeAccount
from tests.support.browser import browser, page  # noqa: F401  (fixtures for the pages' tests)


@pytest.fixture(scope="module")
def owner(make_account: MakeAccount) -> httpx.Client:
    """An account in UP1 with dst on: a July start shows as entered, at UTC+2."""
    return make_account(timezone="UP1", dst=True)
