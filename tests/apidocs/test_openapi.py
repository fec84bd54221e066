"""The OpenAPI description: valid OpenAPI 3.1, complete, and served."""

from __future__ import annotations

import json

import httpx
import pytest
from openapi_spec_validator import validate
from tests.support.server import ServerProcess

from onstream.apidocs.operations import NAMING
from onstream.protocol.openapi import Naming, openapi
from onstream.routes import RESOURCES

pytestmark = [
    pytest.mark.live,  # talks to a real `onstream serve` over a socket
    pytest.mark.any_database,  # the description
]

SPEC = openapi(RESOURCES, version="2", naming=NAMING)


def test_the_description_is_valid_openapi_3_1() -> None:
    validate(SPEC)  # raises on any error
    assert SPEC["openapi"] == "3.1.0"


def test_every_resource_and_method_is_described() -> None:
    described = {
        (path.split("/")[1], method.upper())
        for path, operations in SPEC["paths"].items()
        for method in operations
    }
    table = {(name, method) for name, r in RESOURCES.items() for method in r.allowed}
    assert described == table


def test_records_by_id_have_a_path_of_their_own() -> None:
    assert set(SPEC["paths"]["/session/id/{id}"]) == {"get", "delete"}
    parameters = SPEC["paths"]["/session/id/{id}"]["get"]["parameters"]
    assert {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}} in (
        parameters
    )


def test_errors_and_security_are_described() -> None:
    put = SPEC["paths"]["/session"]["put"]
    assert put["responses"]["400"] == {"$ref": "#/components/responses/400"}
    assert SPEC["components"]["securitySchemes"]["basic"] == {"type": "http", "scheme": "basic"}
    assert SPEC["components"]["securitySchemes"]["digest"]["scheme"] == "digest"
    assert SPEC["security"] == [{"basic": []}, {"digest": []}]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["topic", "start_time", "duration"]
    formats = set(put["responses"]["201"]["content"])
    assert {"application/xml", "application/json", "text/csv", "text/html"} <= formats


def test_the_server_serves_it(server: ServerProcess) -> None:
    response = httpx.get(f"{server.base_url}/api/2/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == SPEC


def test_writes_take_an_idempotency_key_and_reads_do_not() -> None:
    paths = openapi(RESOURCES, version="test", naming=NAMING)["paths"]
    key = {"$ref": "#/components/parameters/idempotency"}
    for operations in paths.values():
        for method, operation in operations.items():
            keyed = key in operation["parameters"]
            assert keyed == (method in ("put", "post")), (method, operation["operationId"])
            assert ("422" in operation["responses"]) == keyed


def test_every_operation_has_a_name_of_its_own_and_a_declared_tag() -> None:
    operations = [op for operations in SPEC["paths"].values() for op in operations.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert {"create_session", "list_sessions", "invite", "share_file"} <= set(ids)
    declared = [tag["name"] for tag in SPEC["tags"]]
    assert {tag for op in operations for tag in op["tags"]} == set(declared)


def test_yes_no_parameters_are_booleans_that_say_1_and_0_work_too() -> None:
    body = SPEC["paths"]["/session"]["put"]["requestBody"]["content"]["application/json"]
    auto_record = body["schema"]["properties"]["auto_record"]
    assert auto_record["type"] == "boolean"
    assert "enum" not in auto_record
    assert "(or 1, 0)" in auto_record["description"]


def test_the_waiting_room_is_described_for_writes_and_reads() -> None:
    for method in ("put", "post"):
        operation = SPEC["paths"]["/session"][method]
        body = operation["requestBody"]["content"]["application/json"]
        field = body["schema"]["properties"]["waiting_room"]
        assert field["type"] == "boolean"
        assert "moderator admits them" in field["description"]
    answer = SPEC["paths"]["/session"]["get"]["responses"]["200"]["content"]
    listed = json.dumps(answer)
    assert '"waiting_room"' in listed


def test_an_operation_without_a_name_is_refused() -> None:
    unnamed = Naming(
        operations={k: v for k, v in NAMING.operations.items() if k != ("PUT", "session")},
        tags=NAMING.tags,
    )
    with pytest.raises(LookupError, match="PUT session"):
        openapi(RESOURCES, version="2", naming=unnamed)
