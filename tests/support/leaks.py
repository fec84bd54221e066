"""What a Python exception's own text looks like, so tests can prove none reaches a client.

The words are chosen not to flag the API's own messages ("must be an object like ...",
"Parameter 'x' is required"): each is a phrase only Python, the standard library or a
library's exception would write.
"""

from __future__ import annotations

import re

PYTHON_PHRASES = (
    "Traceback",
    "Error:",  # ValueError: ..., KeyError: ... as str(exc) with its type
    "Exception",
    "NoneType",
    "object has no attribute",
    "object is not",
    "unpack",
    "not enough values",
    "too many values",
    "invalid literal",
    "argument",
    "expected",
    "Expecting",
    "unconverted data",
    "does not match format",
    "out of range for",
    "date value out of range",
    "is out of range",
    "codec",
    "list index",
    "dict",
    "tuple",
    "<class",
    'File "',
    "sqlalchemy",
    "SELECT ",
    "INSERT ",
)
# A dunder name (`__init__`, `__main__`) standing as a word: not any "__", which a random
# URL-safe secret shown on a page (an invitee's link) contains now and then.
DUNDER = r"(?<![\w-])__[a-z][a-z0-9_]*__(?![\w-])"
_PATTERN = re.compile("|".join([*(re.escape(p) for p in PYTHON_PHRASES), DUNDER]))


def python_text(message: str) -> str | None:
    """The first Python phrase in `message`, or None."""
    found = _PATTERN.search(message)
    return found.group(0) if found else None


def assert_no_python_text(message: str) -> None:
    """Fail with the phrase when `message` carries a Python exception's own text."""
    phrase = python_text(message)
    assert phrase is None, f"{phrase!r} in {message!r}"
