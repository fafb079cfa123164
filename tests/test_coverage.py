"""The real-but-unmodelled answer and docs/coverage.md: the catalogs are the SDKs' own action lists, the
committed table is the generated one, and the official SDKs see a clear error for a real API we lack."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import pytest
from alibabacloud_tea_util.models import RuntimeOptions
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest
from Tea.exceptions import TeaException

from emulator.providers import dypns, dysms
from emulator.tools import coverage
from tests.conftest import tea_config
from tests.rawhttp import build_request, send_raw
from tests.signing import signed_query

PRODUCTS = {"dysms": dysms.build(), "dypns": dypns.build()}
TEA = {"dysms": "alibabacloud_dysmsapi20170525", "dypns": "alibabacloud_dypnsapi20170525"}
LEGACY = {"dysms": "aliyunsdkdysmsapi", "dypns": "aliyunsdkdypnsapi"}


def _tea_actions(code: str) -> set[str]:
    """The actions the tea SDK's Client calls: each method names its action once (`action='SendSms'`)."""
    client = importlib.import_module(f"{TEA[code]}.client")
    return set(re.findall(r"action\s*=\s*'(\w+)'", inspect.getsource(client)))


def _legacy_actions(code: str) -> set[str]:
    package = importlib.import_module(f"{LEGACY[code]}.request.v20170525")
    return {m.name.removesuffix("Request") for m in pkgutil.iter_modules(package.__path__)}


@pytest.mark.parametrize("code", PRODUCTS)
def test_catalog_is_the_installed_sdks_action_list(code):
    product = PRODUCTS[code]
    assert len(set(product.catalog)) == len(product.catalog)
    assert set(product.catalog) == _tea_actions(code)
    assert _legacy_actions(code) <= set(product.catalog)     # the legacy SDK covers a subset
    assert set(product.actions) <= set(product.catalog)      # nothing modelled that the product lacks


def test_sdk_action_counts_are_the_versions_we_cover():
    assert (len(_tea_actions("dysms")), len(_tea_actions("dypns"))) == (80, 19)


def test_committed_coverage_table_is_the_generated_one():
    assert coverage.DEFAULT_OUTPUT.read_text(encoding="utf-8") == coverage.render(coverage.products()), \
        "docs/coverage.md is stale: run python -m emulator.tools.coverage"
    assert coverage.main(["--check"]) == 0


def test_coverage_table_lists_every_action_once_with_its_state(tmp_path):
    out = tmp_path / "coverage.md"
    assert coverage.main(["--output", str(out)]) == 0
    rows = dict(re.findall(r"^\| (\w+) \| (yes|no) \|$", out.read_text(encoding="utf-8"), re.M))
    assert rows["SendSms"] == "yes" and rows["SendSmsVerifyCode"] == "yes"
    assert len(re.findall(r"^\| \w+ \| (?:yes|no) \|$", out.read_text(encoding="utf-8"), re.M)) == 80 + 19
    out.write_text("stale", encoding="utf-8")
    assert coverage.main(["--output", str(out), "--check"]) == 1


def _unmodelled_tea_call(code: str) -> tuple[str, str, Any]:
    """An action the product does not model, with the tea Client method and request model that call it."""
    package = importlib.import_module(TEA[code])
    models = importlib.import_module(f"{TEA[code]}.models")
    methods = {name.replace("_", "").removesuffix("withoptions"): name for name in dir(package.client.Client)
               if name.endswith("_with_options")}
    for action in PRODUCTS[code].unmodelled():
        method, model = methods.get(action.lower()), getattr(models, f"{action}Request", None)
        if method and model:
            return action, method, model
    pytest.skip(f"{code} models every action")


@pytest.mark.parametrize("algorithm", [None, "v2"])
@pytest.mark.parametrize("code", PRODUCTS)
def test_tea_sdk_gets_a_clear_not_modelled_error(emulator, code, algorithm):
    action, method, model = _unmodelled_tea_call(code)
    client = importlib.import_module(f"{TEA[code]}.client").Client(tea_config(emulator, algorithm))
    with pytest.raises(TeaException) as info:
        getattr(client, method)(model(), RuntimeOptions())
    error = info.value
    assert (error.code, error.data["statusCode"]) == ("Emulator.ActionNotModelled", 501)
    assert f"{action} is a real API of {PRODUCTS[code].host}" in error.message
    assert "does not model" in error.message


@pytest.mark.parametrize("code", PRODUCTS)
def test_legacy_sdk_gets_a_clear_not_modelled_error(legacy, code):
    product = PRODUCTS[code]
    action = next((a for a in product.unmodelled() if a in _legacy_actions(code)), None)
    if action is None:
        pytest.skip(f"{code} models every legacy action")
    module = importlib.import_module(f"{LEGACY[code]}.request.v20170525.{action}Request")
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(getattr(module, f"{action}Request")())
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("Emulator.ActionNotModelled", 501)
    assert "does not model" in info.value.get_error_msg()


def _common(emulator, action: str) -> CommonRequest:
    request = CommonRequest(domain=emulator.endpoint, version="2017-05-25", action_name=action)
    request.set_method("POST")
    request.set_accept_format("json")
    return request


def test_unknown_names_stay_not_found_and_wrong_versions_too(legacy, emulator):
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(_common(emulator, "AddSmsSignPlease"))
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("InvalidAction.NotFound", 404)
    action = PRODUCTS["dysms"].unmodelled()[0]
    request = _common(emulator, action)
    request.set_version("2099-01-01")
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(request)
    assert info.value.get_error_code() == "InvalidAction.NotFound"


def test_unmodelled_actions_are_still_signature_checked(emulator):
    from aliyunsdkcore.client import AcsClient

    wrong = AcsClient("testid", "not-the-secret", "cn-hangzhou")
    with pytest.raises(ServerException) as info:
        wrong.do_action_with_exception(_common(emulator, PRODUCTS["dysms"].unmodelled()[0]))
    assert info.value.get_error_code() == "SignatureDoesNotMatch"


def _post_as(emulator, host: str, action: str) -> tuple[int, dict[str, Any]]:
    query = signed_query(action, {"PhoneNumber": "13912370001"}, emulator.backend.clock.wall())
    response = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/?" + query, [("Host", host), ("Content-Length", "0")]))
    return response.status, response.json()


def test_a_shared_name_follows_the_host_that_names_the_product(emulator):
    """dypnsapi has its own QuerySendDetails, which the emulator does not model; dysmsapi's it does."""
    assert "QuerySendDetails" in PRODUCTS["dypns"].unmodelled()
    status, body = _post_as(emulator, "dypnsapi.aliyuncs.com", "QuerySendDetails")
    assert (status, body["Code"]) == (501, "Emulator.ActionNotModelled")
    assert body["HostId"] == "dypnsapi.aliyuncs.com"
    status, body = _post_as(emulator, emulator.endpoint, "QuerySendDetails")    # by name: dysmsapi's
    assert (status, body["Code"]) == (400, "MissingSendDate")


def test_not_modelled_answers_in_the_products_envelope(emulator):
    status, body = _post_as(emulator, "dysmsapi.aliyuncs.com", PRODUCTS["dysms"].unmodelled()[0])
    assert status == 501
    assert set(body) >= {"Code", "Message", "RequestId", "HostId", "Recommend"}
    assert body["HostId"] == "dysmsapi.aliyuncs.com" and body["Recommend"].endswith(body["RequestId"])
