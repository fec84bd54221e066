"""Domain errors: what the rules of the service refuse, independent of HTTP.

    DomainError
     ├── Invalid    the input breaks a rule (names the field); nothing was written
     ├── Missing    no such record in this account
     ├── Taken      the input clashes with an existing record (a login, a friendly URL)
     └── Deleted    the record existed and was deleted

Services raise these; the API maps them to 400/404/409/410 in one place
(`protocol.respond`), and the command line prints their message.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the domain errors; `message` is one sentence a person can act on."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class Invalid(DomainError):
    """The input breaks a rule; the message names the field."""


class Missing(DomainError):
    """No such record in this account."""


class Taken(DomainError):
    """The input clashes with an existing record."""


class Deleted(DomainError):
    """The record existed and was deleted."""
