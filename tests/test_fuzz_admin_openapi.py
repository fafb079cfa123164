"""schemathesis against the emulator's own OpenAPI document, with every check it has: generated requests to
every admin endpoint, valid and invalid, never get a 5xx; answers have the documented status, content type,
headers and body schema; requests the document calls invalid are refused, and requests it calls valid are
accepted, except where validity is more than a schema can say (listed below, with the reason)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

import emulator
from emulator.core.bounds import MAX_DEPTH, depth_exceeds, finite_problem
from emulator.core.callbacks import receiver_url, targets_admin_api
from emulator.core.fixtures import FUNCTIONS_SCHEMA, LIMITS_SCHEMA
from emulator.core.phones import parse_phone

OPENAPI = Path(emulator.__file__).parent / "admin" / "openapi.json"
DOCUMENT = json.loads(OPENAPI.read_text(encoding="utf-8"))

# The live feed streams forever and the long-poll waits by design; both have their own socket tests.
schema = schemathesis.openapi.from_path(OPENAPI).exclude(path_regex=r"/_emulator/(events|messages/wait)$")

#: Operations where a request the document calls valid may still be refused, and why no schema can say more.
SEMANTIC_VALIDITY = {
    "POST /_emulator/reset": "account= goes only with what=messages: a rule across two query parameters",
    "POST /_emulator/clock/set": "an ISO 8601 text must name a real moment between 1970 and 9999",
    "PUT /_emulator/scenario": "rules are checked against the providers' error tables and each other",
}


def filter_body(context, body) -> bool:
    """Every JSON body is refused with integers beyond 64 bits or nesting deeper than 64, wherever they are
    (even in a property the endpoint ignores): a rule over the whole text, which no schema of its fields says."""
    return finite_problem(body) is None and not depth_exceeds(body, MAX_DEPTH)


@schema.hooks.apply(filter_body)
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_admin_api_conforms_to_its_openapi_document(case, emulator):
    excluded = [positive_data_acceptance] if f"{case.method.upper()} {case.path}" in SEMANTIC_VALIDITY else []
    case.call_and_validate(base_url=emulator.url, timeout=30, excluded_checks=excluded)


# The document's patterns are the code's rules -----------------------------------------------------------------

def _schema(path: str, method: str, *keys: str) -> dict:
    node = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    for key in keys:
        node = node[key]
    return node


def _resolve(node: dict) -> dict:
    ref = node.get("$ref")
    return DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else node


PHONE = re.compile(_schema("/_emulator/inbound", "post", "properties", "phone")["pattern"])
RECEIVER = re.compile(DOCUMENT["components"]["schemas"]["NewAccount"]["properties"]["return_url"]["pattern"])


@given(st.one_of(st.from_regex(PHONE), st.text(max_size=20),
                 st.from_regex(r"\s?(\+|00)?(86)?[0-9]{5,16}\s?", fullmatch=True)))
def test_the_documented_phone_pattern_is_exactly_what_parses(raw):
    assert (PHONE.search(raw) is not None) == (parse_phone(raw) is not None)


@given(st.one_of(st.from_regex(RECEIVER), st.text(max_size=30),
                 st.from_regex(r"https?://[a-z0-9.:\[\]_~-]{0,12}(/[ -~]{0,10})?", fullmatch=True)))
def test_the_documented_receiver_pattern_is_exactly_what_is_accepted(url):
    """Besides the pattern, a path under the admin API is refused (a rule on the decoded, normalised path)."""
    documented = RECEIVER.search(url) is not None and not targets_admin_api(url.removesuffix("\n"))
    assert documented == (receiver_url(url) is not None)


def test_the_documented_limits_and_functions_are_the_fixtures_schemas():
    new_account = DOCUMENT["components"]["schemas"]["NewAccount"]["properties"]
    assert {k: v for k, v in _resolve(new_account["limits"]).items() if k != "description"} == LIMITS_SCHEMA
    assert {k: v for k, v in _resolve(new_account["functions"]).items() if k != "description"} == FUNCTIONS_SCHEMA


# Answers the generator would not think of --------------------------------------------------------------------

def test_a_wrong_method_on_an_admin_path_is_405_with_allow(emulator):
    from tests.rawhttp import build_request, send_raw

    response = send_raw(emulator.host, emulator.port, build_request("DELETE", "/_emulator/health", [("Host", "x")]))
    assert (response.status, response.headers["allow"]) == (405, "GET, HEAD")
    assert "GET" in response.json()["error"]
    bare = send_raw(emulator.host, emulator.port, build_request("TRACE", "/_emulator", [("Host", "x")]))
    assert (bare.status, bare.headers["allow"]) == (405, "GET, HEAD")
    unknown = send_raw(emulator.host, emulator.port, build_request("GET", "/_emulator/nothing", [("Host", "x")]))
    assert unknown.status == 404


def test_paths_with_an_encoded_newline_still_get_json_answers(emulator):
    from tests.rawhttp import build_request, send_raw

    admin_path = send_raw(emulator.host, emulator.port,
                          build_request("GET", "/_emulator/messages/%0A1", [("Host", "x")]))
    assert admin_path.status == 404 and "no admin endpoint" in admin_path.json()["error"]
    provider_path = send_raw(emulator.host, emulator.port, build_request("GET", "/%0Ax", [("Host", "x")]))
    assert provider_path.status == 400 and provider_path.json()["Code"] == "MissingAction"


def test_clock_moves_that_would_overflow_dates_are_refused(emulator):
    from tests.conftest import admin

    assert admin(emulator, "POST", "/_emulator/clock/advance", {"seconds": 1e308})[0] == 400
    assert admin(emulator, "POST", "/_emulator/clock/set", {"time": 1e80})[0] == 400
    assert admin(emulator, "POST", "/_emulator/clock/set", {"time": "99999-01-01"})[0] == 400
    assert admin(emulator, "POST", "/_emulator/clock/set", {"time": "9998-06-01T00:00:00Z"})[0] == 200
    assert admin(emulator, "POST", "/_emulator/clock/advance", {"seconds": 3e9})[0] == 409   # past 9999 from here


def test_account_settings_are_checked_as_the_fixtures_check_them(emulator):
    from tests.conftest import admin

    status, body = admin(emulator, "POST", "/_emulator/accounts", {"limits": {"verification": {"minute": "1"}}})
    assert status == 400 and "verification/minute" in body["error"]
    assert admin(emulator, "POST", "/_emulator/accounts", {"functions": {"dypns_verfy": False}})[0] == 400
    assert admin(emulator, "POST", "/_emulator/accounts", {"name": None})[0] == 400
    assert admin(emulator, "POST", "/_emulator/accounts", {"return_url": "http://"})[0] == 400
    status, created = admin(emulator, "POST", "/_emulator/accounts", {"limits": {"verification": {"minute": 1}},
                                                                      "return_url": "http://app:8080/report"})
    assert status == 201 and created["limits"] == {"verification": {"minute": 1}}
