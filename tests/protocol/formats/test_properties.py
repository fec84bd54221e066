"""Property tests: random nested documents through every renderer.

The documents mix full-unicode text (no surrogates, which Python strings from real input do
not carry) with the characters that break naive renderers: NUL, quotes, backslashes, `$`,
`?>`, CR/LF, `]]>`, formula starters, integer-looking keys, plus ints across PHP's 64-bit
range, finite floats, booleans and None.

The Python-side properties run per example so Hypothesis can shrink a failure. The PHP
round trips collect a few hundred examples first and ask one PHP process about all of them,
because starting PHP per example would dominate the run time.
"""

from __future__ import annotations

import csv
import io
import re
import xml.dom.minidom
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from html.parser import HTMLParser

import orjson
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from onstream.bidi import balanced
from onstream.protocol.document import Document, Value
from onstream.protocol.formats import FORMATS
from onstream.protocol.formats._text import scalar_text
from onstream.protocol.formats.csv_format import LIST_COLUMN, neutralise
from onstream.protocol.formats.tabular import Cell, tables

RoundTrip = Callable[[Sequence[Document]], list[dict[str, str]]]
XmlCheck = Callable[[Sequence[bytes]], list[str]]

SPECIAL = [
    "",
    "\x00",
    "'",
    '"',
    "\\",
    "\\'",
    "'\\",
    "$",
    "$x",
    "{$x}",
    "${x}",
    "?>",
    "<?php",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "<",
    ">",
    "&",
    "&amp;",
    "]]>",
    "<![CDATA[",
    "<script>",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "5",
    "07",
    "-0",
    "-5",
    "1.5",
    "9223372036854775808",
    "é",
    "😀",
    "👍🏽",
    "\ufeff",
    "\u2028",
    "\x7f",
    "\x85",
    "\ufffe",
    "\uffff",
    "\x01",
    "\x1f",
    's:3:"abc";',
    "N;",
    "a:1:{",
    "array (",
    "');",
]

_chars = st.characters(exclude_categories=["Cs"])
texts = st.one_of(
    st.text(_chars, max_size=12),
    st.sampled_from(SPECIAL),
    st.lists(st.sampled_from(SPECIAL) | st.text(_chars, max_size=4), max_size=5).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=16,
)
documents = st.builds(
    Document,
    data=st.dictionaries(texts, values, max_size=5),
    root=st.sampled_from(["xml", "root"]) | texts,
    item_names=st.dictionaries(texts, texts, max_size=3),
)

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- xml -------------------------------------------------------------------------------


def _xml_clean(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text)


XmlTree = tuple[str, str, list["XmlTree"]]


def _expected_xml(name: str, value: Value, item_names: Mapping[str, str]) -> XmlTree:
    """What a parser should see for `value`: (original name, text, children)."""
    if isinstance(value, Mapping):
        return (_xml_clean(name), "", [_expected_xml(k, v, item_names) for k, v in value.items()])
    if isinstance(value, list):
        item = item_names.get(name, "item")
        return (_xml_clean(name), "", [_expected_xml(item, v, item_names) for v in value])
    return (_xml_clean(name), _xml_clean(scalar_text(value)), [])


def _parsed_xml(element: ET.Element) -> XmlTree:
    name = element.get("key", element.tag)
    return (name, element.text or "", [_parsed_xml(child) for child in element])


def check_xml(doc: Document, body: bytes) -> None:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    xml.dom.minidom.parseString(body)  # noqa: S318  # our own output, parsed on purpose
    root = ET.fromstring(body)
    assert _parsed_xml(root) == _expected_xml(doc.root, dict(doc.data), doc.item_names)


# --- html ------------------------------------------------------------------------------

HTML_TAGS = {"html", "head", "meta", "title", "body", "h2", "table", "tr", "th", "td", "bdi"}
"""The page's own markup; `bdi` isolates a value whose direction matters (`onstream.bidi`)."""


class _Cells(HTMLParser):
    """Collects every start tag and the text of every h2/th/td, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.cells: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("h2", "th", "td"):
            self._open = tag
            self.cells.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            tag, text = self.cells[-1]
            self.cells[-1] = (tag, text + data)


def check_html(doc: Document, body: bytes) -> None:
    parser = _Cells()
    parser.feed(body.decode("utf-8"))
    parser.close()
    assert parser.tags <= HTML_TAGS, "data leaked into markup"
    expected: list[tuple[str, str]] = []
    found = tables(doc.data)
    for table in found:
        if len(found) > 1 and table.name is not None:
            expected.append(("h2", table.name))
        expected += [("th", column) for column in table.columns]
        # shown without direction overrides, every embedding closed (`onstream.bidi.balanced`)
        expected += [("td", balanced(scalar_text(value))) for row in table.rows for value in row]
    assert parser.cells == expected


# --- csv -------------------------------------------------------------------------------


def _csv_field(value: Cell) -> str:
    """What a cell must read back as: strings neutralised, numbers and None as text."""
    return neutralise(value) if isinstance(value, str) else scalar_text(value)


def check_csv(doc: Document, body: bytes) -> None:
    found = tables(doc.data)
    rows: list[list[Cell]]
    if len(found) == 1:
        header = list(found[0].columns)
        rows = [list(row) for row in found[0].rows]
    else:
        header = list(dict.fromkeys(c for table in found for c in table.columns))
        rows = []
        for table in found:
            for row in table.rows:
                cells = dict(zip(table.columns, row, strict=True))
                rows.append([table.name or "", *(cells.get(c) for c in header)])
        header = [LIST_COLUMN, *header] if header or rows else []
    if not header:
        assert body == b""
        return
    assert body.endswith(b"\r\n")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert parsed == [
        [neutralise(c) for c in header],
        *([_csv_field(v) for v in row] for row in rows),
    ]
    for line in parsed:
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in line)


# --- properties ------------------------------------------------------------------------


@SETTINGS
@given(documents)
def test_xml_is_well_formed_and_carries_the_data(doc: Document) -> None:
    check_xml(doc, FORMATS["xml"].render(doc))


@SETTINGS
@given(documents)
def test_json_round_trips(doc: Document) -> None:
    assert orjson.loads(FORMATS["json"].render(doc)) == doc.data


@SETTINGS
@given(documents)
def test_html_escapes_everything_and_shows_every_cell(doc: Document) -> None:
    check_html(doc, FORMATS["html"].render(doc))


@SETTINGS
@given(documents)
def test_csv_parses_back_to_the_cells(doc: Document) -> None:
    check_csv(doc, FORMATS["csv"].render(doc))


@SETTINGS
@given(documents)
def test_every_format_renders_utf8_bytes(doc: Document) -> None:
    for fmt in FORMATS.values():
        fmt.render(doc).decode("utf-8")


def test_php_reads_back_serialize_php_and_xml(round_trip: RoundTrip, simplexml: XmlCheck) -> None:
    docs: list[Document] = []

    @settings(SETTINGS, database=None, phases=[Phase.generate])
    @given(documents)
    def collect(doc: Document) -> None:
        docs.append(doc)

    collect()
    assert len(docs) >= 100

    verdicts = round_trip(docs)
    wrong = [(doc, v) for doc, v in zip(docs, verdicts, strict=True) if set(v.values()) != {"ok"}]
    assert not wrong, f"{len(wrong)} documents did not round-trip; first: {wrong[0]!r}"

    bodies = [FORMATS["xml"].render(doc) for doc in docs]
    xml_verdicts = simplexml(bodies)
    rejected = [(b, v) for b, v in zip(bodies, xml_verdicts, strict=True) if v != "ok"]
    assert not rejected, f"simplexml rejected {len(rejected)} bodies; first: {rejected[0]!r}"
