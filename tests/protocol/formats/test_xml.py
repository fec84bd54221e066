"""The xml renderer: exact output, escaping, names, and well-formedness."""

from __future__ import annotations

import xml.dom.minidom
import xml.etree.ElementTree as ET

import pytest

from onstream.protocol.document import Document
from onstream.protocol.formats.xml_format import render

DECL = '<?xml version="1.0" encoding="utf-8"?>\n'


def body(doc: Document) -> str:
    raw = render(doc)
    ET.fromstring(raw)  # every body in these tests must be well-formed
    xml.dom.minidom.parseString(raw)  # noqa: S318  # our own output, parsed on purpose
    return raw.decode("utf-8")


def test_authverify_matches_the_documentation() -> None:
    doc = Document({"authenticated": True, "message": "You are authorized to use the API"})
    assert body(doc) == (
        DECL + "<xml><authenticated>1</authenticated>"
        "<message>You are authorized to use the API</message></xml>\n"
    )


def test_list_items_are_named_by_their_list_and_root_is_configurable() -> None:
    doc = Document(
        {
            "sessions": [
                {
                    "id": 1,
                    "topic": "My first session",
                    "password": None,
                    "custom_data": {"custom1": "a", "custom2": "b"},
                    "tags": ["x", "y"],
                },
                {"id": 2, "active": False},
            ]
        },
        root="root",
        item_names={"sessions": "session"},
    )
    assert body(doc) == (
        DECL + "<root><sessions>"
        "<session><id>1</id><topic>My first session</topic><password/>"
        "<custom_data><custom1>a</custom1><custom2>b</custom2></custom_data>"
        "<tags><item>x</item><item>y</item></tags></session>"
        "<session><id>2</id><active>0</active></session>"
        "</sessions></root>\n"
    )


def test_scalars_and_empty_values() -> None:
    doc = Document({"t": True, "f": False, "n": None, "i": -7, "x": 0.5, "e": "", "l": [], "d": {}})
    assert body(doc) == (
        DECL + "<xml><t>1</t><f>0</f><n/><i>-7</i><x>0.5</x><e></e><l></l><d></d></xml>\n"
    )


def test_text_is_escaped_and_survives_parsing() -> None:
    text = "a & b < c > d ]]> \"q\" 'a' \r\n\t end"
    raw = body(Document({"m": text}))
    assert "<m>a &amp; b &lt; c &gt; d ]]&gt; \"q\" 'a' &#13;\n\t end</m>" in raw
    assert ET.fromstring(raw.encode()).findtext("m") == text


def test_one_string_to_escape_among_many_clean_ones_escapes_it_alone() -> None:
    """The body is written with strings as they are unless one of them needs escaping:
    then every one is written escaped, wherever it sits."""
    rows = [{"id": i, "topic": f"Topic {i}", "link": f"http://x/{i}"} for i in range(50)]
    rows[31]["topic"] = "R&D <weekly>\r"
    raw = body(Document({"sessions": rows}, item_names={"sessions": "session"}))
    assert "<topic>R&amp;D &lt;weekly&gt;&#13;</topic>" in raw
    assert raw.count("&") == 4
    parsed = ET.fromstring(raw.encode()).findall("sessions/session")
    assert [(s.findtext("id"), s.findtext("topic")) for s in parsed] == [
        (str(r["id"]), r["topic"]) for r in rows
    ]


@pytest.mark.parametrize(
    "bad", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff"]
)
def test_characters_illegal_in_xml_become_replacement_characters(bad: str) -> None:
    raw = body(Document({"m": f"a{bad}b"}))
    assert ET.fromstring(raw.encode()).findtext("m") == "a\ufffdb"


def test_lone_surrogates_become_replacement_characters() -> None:
    raw = render(Document({"m": "a\ud800b\udfffc"}))
    assert ET.fromstring(raw).findtext("m") == "a\ufffdb\ufffdc"


def test_legal_unusual_characters_are_kept() -> None:
    text = "\x7f\x85\u2028\ufeff😀é\U0010ffff"
    raw = body(Document({"m": text}))
    assert ET.fromstring(raw.encode()).findtext("m") == text


@pytest.mark.parametrize(
    ("key", "element"),
    [
        ("1", '<_1 key="1">v</_1>'),
        ("", '<_ key="">v</_>'),
        ("a b", '<a_b key="a b">v</a_b>'),
        ("-x", '<_-x key="-x">v</_-x>'),
        (".x", '<_.x key=".x">v</_.x>'),
        ("ns:x", '<ns_x key="ns:x">v</ns_x>'),
        ("café", '<caf_ key="café">v</caf_>'),
        ('<"&>', '<____ key="&lt;&quot;&amp;&gt;">v</____>'),
        ("a\tb\nc\rd", '<a_b_c_d key="a&#9;b&#10;c&#13;d">v</a_b_c_d>'),
        ("\x00", '<_ key="\ufffd">v</_>'),
        ("ok_name-1.2", "<ok_name-1.2>v</ok_name-1.2>"),
    ],
)
def test_keys_that_are_not_xml_names_get_safe_names_and_keep_the_original(
    key: str, element: str
) -> None:
    raw = body(Document({key: "v"}))
    assert raw == f"{DECL}<xml>{element}</xml>\n"
    (child,) = ET.fromstring(raw.encode())
    assert child.get("key", child.tag) == key.replace("\x00", "\ufffd")


def test_invalid_item_and_root_names_are_made_safe_too() -> None:
    raw = body(Document({"l": [1]}, root="9root", item_names={"l": "bad item"}))
    assert (
        raw == f'{DECL}<_9root key="9root"><l><bad_item key="bad item">1</bad_item></l></_9root>\n'
    )


def test_nested_lists_use_item() -> None:
    raw = body(Document({"m": [[1, 2], {"a": None}]}, item_names={"m": "row"}))
    assert "<m><row><item>1</item><item>2</item></row><row><a/></row></m>" in raw


def test_large_floats_and_ints() -> None:
    raw = body(Document({"a": 1e25, "b": 2**70, "c": float("inf"), "d": float("nan")}))
    assert "<a>1e+25</a><b>1180591620717411303424</b><c>INF</c><d>NAN</d>" in raw
