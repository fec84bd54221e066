"""Direction controls in names and topics are neutralised for display (onstream.bidi)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onstream import bidi

RLO, LRO, PDF, RLE, FSI, PDI, RLI = (
    "\u202e",
    "\u202d",
    "\u202c",
    "\u202b",
    "\u2068",
    "\u2069",
    "\u2067",
)
RLM = "\u200f"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"Invoice{RLO}fdp.exe", "Invoicefdp.exe"),  # an override is removed
        (f"a{LRO}b{PDF}c", "abc"),  # with the PDF that closes it
        (f"a{RLE}b", f"a{RLE}b{PDF}"),  # an open embedding is closed within the value
        (f"a{PDF}{PDI}b", "ab"),  # closers of nothing would close the text around the value
        (f"{RLI}a{RLE}b{PDI}c", f"{RLI}a{RLE}b{PDI}c"),  # the PDI closes the RLE with it
        (f"{RLI}a{PDF}b", f"{RLI}ab{PDI}"),  # a PDF cannot close across an isolate
        (
            f"\u05e9\u05dc\u05d5\u05dd{RLM} 2030",
            f"\u05e9\u05dc\u05d5\u05dd{RLM} 2030",
        ),  # marks stay
    ],
)
def test_balanced(text: str, shown: str) -> None:
    assert bidi.balanced(text) == shown


def test_left_to_right_text_is_shown_unchanged() -> None:
    assert bidi.isolated("Weekly sync: <plans> & more") == "Weekly sync: <plans> & more"
    assert bidi.bdi("Weekly <sync>") == "Weekly &lt;sync&gt;"


def test_text_where_direction_matters_is_isolated() -> None:
    assert bidi.isolated(f"Invoice{RLO}fdp.exe") == f"{FSI}Invoicefdp.exe{PDI}"
    assert bidi.isolated("مرحبا") == f"{FSI}مرحبا{PDI}"
    assert bidi.bdi(f"<b>{RLO}x") == "<bdi>&lt;b&gt;x</bdi>"


@given(st.text(alphabet=st.sampled_from("ab\u05d0 " + "".join(bidi.CONTROLS) + RLM), max_size=30))
def test_isolated_text_never_overrides_and_closes_everything_it_opens(text: str) -> None:
    shown = bidi.isolated(text)
    assert RLO not in shown
    assert LRO not in shown
    depth: list[str] = []
    for char in shown:
        kind = unicodedata.bidirectional(char)
        if kind in ("LRE", "RLE", "LRI", "RLI", "FSI"):
            depth.append("I" if kind.endswith("I") else "E")
        elif kind == "PDF":
            assert depth
            assert depth.pop() == "E"
        elif kind == "PDI":
            assert "I" in depth
            while depth.pop() != "I":
                pass
    assert depth == []
