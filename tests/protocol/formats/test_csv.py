"""The csv renderer: RFC 4180, flattening, several lists, formula neutralisation."""

from __future__ import annotations

import csv
import io

import pytest

from onstream.protocol.document import Document
from onstream.protocol.formats.csv_format import render


def rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_scalar_document_is_a_header_and_one_row() -> None:
    doc = Document({"authenticated": True, "message": "You are authorized to use the API"})
    assert render(doc) == b"authenticated,message\r\n1,You are authorized to use the API\r\n"


def test_list_items_are_rows_with_flattened_custom_data() -> None:
    doc = Document(
        {
            "sessions": [
                {"id": 1, "topic": 'a, "b"\nc', "custom_data": [{"custom1": "x"}]},
                {"id": 2, "password": None, "active": False},
            ]
        }
    )
    assert render(doc) == (b'id,topic,custom1,password,active\r\n1,"a, ""b""\nc",x,,\r\n2,,,,0\r\n')
    assert rows(render(doc)) == [
        ["id", "topic", "custom1", "password", "active"],
        ["1", 'a, "b"\nc', "x", "", ""],
        ["2", "", "", "", "0"],
    ]


def test_several_lists_are_one_table_with_a_list_column() -> None:
    doc = Document(
        {
            "moderators": [{"id": 1, "email": "m@x"}],
            "participants": [],
            "observers": [{"id": 3, "first_name": "O"}],
        }
    )
    assert render(doc) == (b"list,id,email,first_name\r\nmoderators,1,m@x,\r\nobservers,3,,O\r\n")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_strings_that_look_like_formulas_are_neutralised(start: str) -> None:
    text = f'{start}HYPERLINK("http://x")'
    assert rows(render(Document({"a": text, start + "h": 1}))) == [
        ["a", "'" + start + "h"],
        ["'" + text, "1"],
    ]


def test_numbers_are_not_neutralised() -> None:
    assert render(Document({"a": -5, "b": -0.5, "c": "-5"})) == b"a,b,c\r\n-5,-0.5,'-5\r\n"


def test_empty_outputs() -> None:
    assert render(Document({})) == b""
    assert render(Document({"sessions": []})) == b""


def test_nul_and_unicode_survive() -> None:
    doc = Document({"a": "x\x00y", "b": "😀 é", "c": "\ud800"})
    assert rows(render(doc)) == [["a", "b", "c"], ["x\x00y", "😀 é", "\ufffd"]]
