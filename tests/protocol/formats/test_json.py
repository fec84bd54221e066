"""The json renderer."""

from __future__ import annotations

from types import MappingProxyType

import orjson
import pytest

from onstream.protocol.document import Document
from onstream.protocol.formats.json_format import render


def test_json_keeps_types() -> None:
    doc = Document({"authenticated": True, "n": None, "id": 1, "x": 0.5, "l": [{"a": "é😀"}]})
    assert render(doc) == (
        b'{"authenticated":true,"n":null,"id":1,"x":0.5,"l":[{"a":"\xc3\xa9\xf0\x9f\x98\x80"}]}'
    )


def test_read_only_mappings_render() -> None:
    doc = Document(MappingProxyType({"a": MappingProxyType({"b": (1, 2)})}))
    assert render(doc) == b'{"a":{"b":[1,2]}}'


def test_lone_surrogates_become_replacement_characters() -> None:
    assert orjson.loads(render(Document({"a\udc80": ["x\ud800"]}))) == {"a\ufffd": ["x\ufffd"]}


def test_unrenderable_values_are_errors() -> None:
    with pytest.raises(orjson.JSONEncodeError):
        render(Document({"a": object()}))
