"""The flattening shared by html and csv."""

from __future__ import annotations

from onstream.protocol.formats.tabular import Table, flatten, tables


def test_scalar_document_is_one_table_with_one_row() -> None:
    assert tables({"id": 1, "message": "Session added", "ok": True}) == [
        Table(None, ("id", "message", "ok"), ((1, "Session added", 1),))
    ]


def test_each_list_is_a_table_with_the_union_of_keys_in_first_seen_order() -> None:
    data = {"moderators": [{"id": 1, "a": "x"}, {"id": 2, "b": None}], "observers": []}
    assert tables(data) == [
        Table("moderators", ("id", "a", "b"), ((1, "x", None), (2, None, None))),
        Table("observers", (), ()),
    ]


def test_scalars_next_to_lists_come_first() -> None:
    data = {"sessions": [{"id": 1}], "count": 1}
    assert tables(data) == [
        Table(None, ("count",), ((1,),)),
        Table("sessions", ("id",), ((1,),)),
    ]


def test_nested_dicts_and_lists_of_dicts_become_columns() -> None:
    assert flatten({"id": 1, "custom_data": {"custom1": "a", "custom2": False}}) == {
        "id": 1,
        "custom1": "a",
        "custom2": 0,
    }
    assert flatten({"custom_data": [{"custom1": "a"}, {"custom2": "b"}, [{"custom3": None}]]}) == {
        "custom1": "a",
        "custom2": "b",
        "custom3": None,
    }


def test_lists_of_scalars_join_into_one_cell() -> None:
    assert flatten({"tags": ["a", 1, True, None, 0.5], "empty": []}) == {"tags": "a; 1; 1; ; 0.5"}


def test_clashing_nested_keys_are_qualified_not_overwritten() -> None:
    row = flatten({"id": 1, "custom_data": {"id": 2}, "other": {"id": 3}, "x": {"x": 4}})
    assert row == {"id": 1, "custom_data.id": 2, "other.id": 3, "x": 4}
    assert flatten({"a": {"id": 1}, "id": 2}) == {"id": 1, "id_2": 2}


def test_items_that_are_not_dicts_go_in_a_value_column() -> None:
    assert tables({"ids": [1, "two", [3, 4]]}) == [
        Table("ids", ("value",), ((1,), ("two",), ("3; 4",)))
    ]
