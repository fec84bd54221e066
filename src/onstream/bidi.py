"""Names and topics shown as they read: bidirectional control characters neutralised.

A topic or a name is whatever an API client typed, and Unicode's explicit direction controls
can make it read as something else: `Invoice\\u202efdp.exe` shows as "Invoiceexe.pdf", and an
unclosed right-to-left embedding reverses the sentence the name sits in ("... invites you
to ..."). Refusing them at input would break integrations that send Arabic or Hebrew text
with legitimate marks, so the stored value is kept as sent (the API answers it unchanged)
and every place that shows it to a person neutralises it (SECURITY.md, "Display text"):

- the overrides LRO and RLO (U+202D, U+202E), which force letters into the wrong order and
  which correct text never needs, are removed, with the PDF that closes each;
- every embedding (U+202A, U+202B) and isolate (U+2066-U+2068) is closed within the value,
  and a stray closer (PDF U+202C, PDI U+2069) that would close the text around it is
  removed;
- text in which direction matters (a right-to-left letter or any control) is isolated from
  what surrounds it: `<bdi>` in HTML, FSI ... PDI (U+2068 ... U+2069) in plain text
  (text e-mail, subjects, iCalendar). Left-to-right text without controls is unchanged.

The marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are kept: they are invisible strong
characters that only settle neutral characters beside them, the legitimate tool of mixed
text, and inside an isolate they cannot reach beyond it.
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
CONTROLS = frozenset(LRE + RLE + PDF + LRO + RLO + LRI + RLI + FSI + PDI)
MARKS = frozenset("\u200e\u200f\u061c")
_RIGHT_TO_LEFT = frozenset({"R", "AL"})


def needs_isolation(text: str) -> bool:
    """Whether direction matters in `text`: a right-to-left letter, a mark or a control."""
    return any(
        char in CONTROLS or char in MARKS or unicodedata.bidirectional(char) in _RIGHT_TO_LEFT
        for char in text
        if not char.isascii()
    )


def balanced(text: str) -> str:
    """`text` without overrides and stray closers, every embedding and isolate closed."""
    out: list[str] = []
    opened: list[str] = []
    """What is open, innermost last: E (an embedding), O (a removed override), I (isolate)."""
    for char in text:
        if char in (LRE, RLE, LRO, RLO):
            kept = char in (LRE, RLE)
            opened.append("E" if kept else "O")
            out.append(char if kept else "")
        elif char == PDF:
            # closes the innermost embedding or override, unless an isolate is open inside it
            if opened and opened[-1] != "I" and opened.pop() == "E":
                out.append(PDF)
        elif char in (LRI, RLI, FSI):
            opened.append("I")
            out.append(char)
        elif char == PDI:
            if "I" in opened:  # closes the innermost isolate and all opened inside it
                while opened.pop() != "I":
                    pass
                out.append(PDI)
        else:
            out.append(char)
    out.extend(PDF if kind == "E" else PDI if kind == "I" else "" for kind in reversed(opened))
    return "".join(out)


def isolated(text: str) -> str:
    """Plain text for showing: `balanced` and wrapped in FSI ... PDI where direction matters
    (text e-mail, subjects, iCalendar, page titles and attributes)."""
    if not needs_isolation(text):
        return text
    return f"{FSI}{balanced(text)}{PDI}"


def bdi(text: object) -> Markup:
    """HTML for showing: escaped, `balanced` and in a `<bdi>` where direction matters."""
    value = "" if text is None else str(text)
    if not needs_isolation(value):
        return escape(value)
    return Markup("<bdi>{}</bdi>").format(balanced(value))
