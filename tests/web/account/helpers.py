"""Helpers for the account-center tests: a browser-like client that signs in with a form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from tests.support.server import Server

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found is not None, html
    return found.group(1)


def sign_in_form(client: httpx.Client, login: str, password: str, **extra: str) -> httpx.Response:
    """Open the sign-in page and post it, as a browser does."""
    page = client.get("/account/sign-in")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "login": login, "password": password, **extra}
    return client.post("/account/sign-in", data=data)


@contextmanager
def signed_in(server: Server, login: str, password: str) -> Iterator[httpx.Client]:
    """A new client (its own cookies) signed in to the account center."""
    with server.client() as client:
        response = sign_in_form(client, login, password)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/account"
        yield client


def post_form(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """GET the page, then POST its form with these fields and the page's CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf": csrf_of(page.text), **fields})
