"""The OpenAPI document: served, in step with the registered routes, and true to what the endpoints answer."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from emulator.admin.api import PREFIX
from emulator.app import build_app
from emulator.settings import Settings
from tests.admin_helpers import get, new_account, send_1oc
from tests.conftest import admin, advance

METHODS = ("get", "put", "post", "delete", "patch")
#: Documented here, registered by modules that may land separately (ops, scenarios): not required to exist.
ELSEWHERE = {f"{PREFIX}/metrics", f"{PREFIX}/ca.pem", f"{PREFIX}/scenario"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads((resources.files("emulator.admin") / "openapi.json").read_text(encoding="utf-8"))


def registered_admin_routes() -> set[tuple[str, str]]:
    app = build_app(Settings(port=0, quiet=True))
    routes = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith(PREFIX) or path == PREFIX + "/{tail}" or route.method in ("HEAD", "*"):
            continue
        routes.add((path, route.method.lower()))
    return routes


def test_served_document_is_the_packaged_one(emulator, document):
    status, body = get(emulator, "/openapi.json")
    assert status == 200 and body == document
    assert document["openapi"].startswith("3.1")


def test_every_registered_admin_route_is_documented(document):
    routes = registered_admin_routes()
    assert len(routes) > 20
    missing = sorted(f"{method.upper()} {path}" for path, method in routes
                     if method not in document["paths"].get(path, {}))
    assert not missing, f"add these to emulator/admin/openapi.json: {missing}"


def test_every_documented_operation_exists(document):
    routes = registered_admin_routes()
    ghosts = sorted(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
                    if method in METHODS and (path, method) not in routes and path not in ELSEWHERE)
    assert not ghosts, f"documented but not served: {ghosts}"


def test_document_is_well_formed(document):
    ids = [op["operationId"] for item in document["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for item in document["paths"].values():
        for method, op in item.items():
            if method in METHODS:
                assert op["responses"] and op.get("summary"), op["operationId"]
    text = json.dumps(document)
    for name in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert name in document["components"]["schemas"], f"dangling $ref to {name}"
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def conforms(document: dict[str, Any], schema_name: str, value: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=str)
    assert not errors, f"{schema_name}: {[e.message for e in errors]}"


def test_answers_match_their_schemas(emulator, receiver, document):
    account = new_account(emulator, return_url=receiver.url)
    conforms(document, "Account", account)
    send_1oc(emulator, account, code="8080")
    conforms(document, "Health", get(emulator, "/health")[1])
    listing = get(emulator, "/messages", account=account["name"])[1]
    conforms(document, "MessageList", listing)
    message_id = listing["messages"][0]["id"]
    conforms(document, "Message", get(emulator, f"/messages/{message_id}")[1])
    conforms(document, "WaitResult", get(emulator, "/messages/wait", account=account["name"])[1])
    conforms(document, "Clock", get(emulator, "/clock")[1])
    conforms(document, "Clock", advance(emulator, 5))
    conforms(document, "Clock", admin(emulator, "POST", "/_emulator/clock/set", {"time": "2031-01-01T00:00:00Z"})[1])
    callbacks = get(emulator, "/callbacks", account=account["name"])[1]
    assert callbacks["attempts"], "the report should have been sent"
    conforms(document, "CallbackList", callbacks)
    conforms(document, "AccountList", get(emulator, "/accounts")[1])
    conforms(document, "Account", get(emulator, f"/accounts/{account['name']}")[1])
    conforms(document, "Account", admin(emulator, "PATCH", f"/_emulator/accounts/{account['name']}",
                                        {"balance": 5})[1])
    conforms(document, "ResetResult", admin(emulator, "POST",
                                            f"/_emulator/reset?what=messages&account={account['name']}")[1])
    conforms(document, "Error", get(emulator, "/messages/404404")[1])
    conforms(document, "Error", get(emulator, "/messages/wait", timeout=0)[1])
