"""pytest plugin (entry point `sms_emulator`): an SMS emulator for the session, a fresh account for every test.

    def test_signup_sends_a_code(sms_emulator):
        my_app.configure(sms_endpoint=sms_emulator.endpoint, **sms_emulator.credentials.as_dict())
        my_app.sign_up("13912345678")
        assert my_app.verify("13912345678", sms_emulator.wait_for_code("13912345678"))

The server runs in-process on a free loopback port, on a background thread (so sync and async tests alike
can use it), once per session - under pytest-xdist once per worker. Every test gets its own account (AccessKey
pair and 1oc AppSecret) and every helper filters by it, so tests never read each other's messages or codes,
even when they share one emulator: `--sms-emulator-url URL` (or `SMS_EMULATOR_URL`) points the plugin at one
already running, e.g. a docker-compose service, instead of starting one. Over HTTPS the helpers and the SDK
clients they make trust the emulator's CA: the in-process one's by themselves, a running one's when given
`--sms-emulator-ca FILE` (or `SMS_EMULATOR_CA`; the file `/_emulator/ca.pem` serves).

Helpers talk to the emulator only over its public HTTP API (`/_emulator/openapi.json`), with the standard
library, so the plugin behaves the same in-process and against a remote service. The official SDKs are
imported only when a client is asked for: they are optional for users.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator.settings import Settings

ENV_URL = "SMS_EMULATOR_URL"
ENV_CA = "SMS_EMULATOR_CA"
PREFIX = "/_emulator"
DEFAULT_TIMEOUT = 10.0


class EmulatorHTTPError(AssertionError):
    """The emulator answered an admin request with an error; the message carries its explanation."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status, self.body = status, body
        detail = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{method} {path} -> HTTP {status}: {detail}")


class MessageNotReceived(AssertionError):
    """No matching SMS arrived in time: an assertion failure of the test, not an error of the plugin."""


@dataclass(frozen=True)
class Credentials:
    """What an application needs to talk to the emulator as this test's account."""

    account: str
    access_key_id: str
    access_key_secret: str
    app_secret: str | None       # sms.1oc.cn `Authorization` header

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


class AdminClient:
    """JSON over HTTP to `/_emulator/`, with the standard library only (trusting `ca`, a PEM file, if given)."""

    def __init__(self, url: str, ca: str | None = None) -> None:
        self.url = url.rstrip("/")
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.ProxyHandler({})]   # never a proxy from the environment: the emulator is local
        if ca:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)))
        self._opener = urllib.request.build_opener(*handlers)

    def call(self, method: str, path: str, body: Any = None, *, query: dict[str, Any] | None = None,
             timeout: float = 30.0, raw: bytes | None = None, content_type: str = "application/json",
             expect: tuple[int, ...] = (200, 201)) -> Any:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        target = f"{self.url}{PREFIX}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(target, data=data, method=method,
                                         headers={"Content-Type": content_type} if data is not None else {})
        try:
            with self._opener.open(request, timeout=timeout) as resp:
                status, payload = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
        try:
            decoded = json.loads(payload) if payload else None
        except ValueError:
            decoded = payload.decode("utf-8", "replace")
        if status not in expect:
            raise EmulatorHTTPError(method, path, status, decoded)
        return decoded


class SmsEmulator:
    """One test's view of the emulator: its own account, and helpers that see only that account."""

    def __init__(self, url: str, account: dict[str, Any], ca: str | None = None) -> None:
        self.url = url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.url)
        self.protocol = parsed.scheme or "http"
        #: `host:port`, the form the Alibaba SDKs take as `endpoint`
        self.endpoint = parsed.netloc
        #: the CA (PEM file) the helpers and SDK clients trust over HTTPS; None: the system's
        self.ca = ca
        self.admin = AdminClient(self.url, ca)
        self.account: str = account["name"]
        self.credentials = Credentials(self.account, account["access_key_id"], account["access_key_secret"],
                                       account.get("app_secret"))
        self._code_cursor: dict[str, int] = {}
        self._scenario_changed = False

    @property
    def inbox_url(self) -> str:
        """The web inbox, filtered to this test's account."""
        return f"{self.url}{PREFIX}/?account={urllib.parse.quote(self.account)}"

    # SDK clients -------------------------------------------------------------------------------------

    def sdk_config(self, **overrides: Any) -> Any:
        """A tea `Config` for this account and endpoint (`alibabacloud-tea-openapi`)."""
        Config = _sdk("alibabacloud_tea_openapi.models", "alibabacloud-tea-openapi").Config
        settings = {"access_key_id": self.credentials.access_key_id,
                    "access_key_secret": self.credentials.access_key_secret,
                    "endpoint": self.endpoint, "protocol": self.protocol,
                    **({"ca": self.ca} if self.ca and self.protocol == "https" else {}), **overrides}
        return Config(**settings)

    def dysms_client(self, **config: Any) -> Any:
        """`alibabacloud_dysmsapi20170525.client.Client` talking to the emulator as this account."""
        return _sdk("alibabacloud_dysmsapi20170525.client", "alibabacloud-dysmsapi20170525").Client(
            self.sdk_config(**config))

    def dypns_client(self, **config: Any) -> Any:
        """`alibabacloud_dypnsapi20170525.client.Client` talking to the emulator as this account."""
        return _sdk("alibabacloud_dypnsapi20170525.client", "alibabacloud-dypnsapi20170525").Client(
            self.sdk_config(**config))

    def acs_client(self, region: str = "cn-hangzhou") -> Any:
        """The legacy `aliyunsdkcore` `AcsClient`, with Dysmsapi and Dypnsapi routed to the emulator (over
        HTTPS the requests made with it need `request.set_protocol_type("https")`, as with the real service)."""
        client = _sdk("aliyunsdkcore.client", "aliyun-python-sdk-core").AcsClient(
            self.credentials.access_key_id, self.credentials.access_key_secret, region,
            **({"verify": self.ca} if self.ca and self.protocol == "https" else {}))
        for product in ("Dysmsapi", "Dypnsapi"):
            client.add_endpoint(region, product, self.endpoint)
        return client

    # Messages ----------------------------------------------------------------------------------------

    def messages(self, phone: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """This account's messages, oldest first (filters: provider, template, sign, status, since ...)."""
        return self.admin.call("GET", "/messages", query={"account": self.account, "phone": phone,
                                                          **filters})["messages"]

    def wait_for_message(self, phone: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                         **filters: Any) -> dict[str, Any]:
        """The newest matching message of this account, waiting (long-poll, no sleeping) until one exists."""
        query = {"account": self.account, "phone": phone, "timeout": timeout, **filters}
        answer = self.admin.call("GET", "/messages/wait", query=query, timeout=timeout + 30, expect=(200, 408))
        if "message" not in answer:
            raise MessageNotReceived(f"no SMS{' to ' + phone if phone else ''} matching {filters or 'anything'} "
                                     f"for account {self.account} within {timeout:g} s")
        return answer["message"]

    def wait_for_code(self, phone: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The verification code of the next SMS to `phone` this test has not had a code from yet.

        The first call returns the newest code already sent (sending and then asking is no race); each later
        call for the same number waits for a newer message.
        """
        from emulator.admin.api import canonical_phone  # here, not at the top: loading the plugin stays cheap

        key = canonical_phone(phone)    # `+86 139…` and `139…` are one number, with one cursor
        message = self.wait_for_message(phone, timeout, has_code="true", since=self._code_cursor.get(key, 0))
        self._code_cursor[key] = message["id"]
        return str(message["code"])

    async def wait_for_code_async(self, phone: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """`wait_for_code` for async tests: waits in a worker thread, so the test's event loop keeps running."""
        return await asyncio.to_thread(self.wait_for_code, phone, timeout)

    def latest_code(self, phone: str) -> str | None:
        """The newest dypnsapi code for `phone` that can still pass CheckSmsVerifyCode, or None."""
        answer = self.admin.call("GET", "/codes/latest", query={"phone": phone, "account": self.account},
                                 expect=(200, 404))
        return answer.get("code") if answer and "error" not in answer else None

    def callbacks(self, **filters: Any) -> dict[str, Any]:
        """This account's report POSTs: `{"attempts": [...], "pending": [...]}`."""
        return self.admin.call("GET", "/callbacks", query={"account": self.account, **filters})

    # Number authentication: the tokens a phone would hand the app -----------------------------------------

    def login_token(self, phone: str, carrier: str | None = None, **options: Any) -> str:
        """The token the carrier's SDK gives the app after the user tapped "本机号码一键登录" on `phone`: pass it
        to GetMobile. It lives as long as the carrier's (cm 2 min, cu 30 min, ct 10 min) and works once."""
        return self._mint(phone, "login", carrier, **options)

    def verify_token(self, phone: str, carrier: str | None = None, **options: Any) -> str:
        """A number-verification token (VerifyMobile's AccessCode); GetMobile refuses it."""
        return self._mint(phone, "verify", carrier, **options)

    def h5_sp_token(self, phone: str, access_token: str | None = None, carrier: str | None = None,
                    **options: Any) -> str:
        """The JS SDK's spToken for GetPhoneWithToken / VerifyPhoneWithToken; given the AccessToken your back
        end got from GetAuthToken, it takes that call's BizType (0: verification only, refused for login)."""
        return self._mint(phone, "h5", carrier, access_token=access_token, **options)

    def fusion_token(self, phone: str, **options: Any) -> str:
        """The fusion SDK's VerifyToken for VerifyWithFusionAuthToken."""
        return self._mint(phone, "fusion", None, **options)

    def token_exchanges(self, phone: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
        """This account's number-authentication calls (GetMobile ...), oldest first, with the code answered."""
        return self.admin.call("GET", "/number-auth/exchanges",
                               query={"account": self.account, "phone": phone, "action": action})["exchanges"]

    def _mint(self, phone: str, kind: str, carrier: str | None, **options: Any) -> str:
        body = {"phone": phone, "kind": kind, "account": self.account, "carrier": carrier, **options}
        answer = self.admin.call("POST", "/number-auth/tokens", {k: v for k, v in body.items() if v is not None})
        return str(answer["token"])

    # The template/sign catalogue: this test is Alibaba's reviewer -----------------------------------------

    def catalogue(self) -> dict[str, Any]:
        """This account's templates and signs with their review states, and its review policy."""
        return self.admin.call("GET", "/catalogue", query={"account": self.account})

    def review_policy(self, mode: str, delay: float | None = None) -> dict[str, Any]:
        """How this account's applications are reviewed from now on: `immediate`, `after` (`delay` virtual
        seconds, default two hours, as Alibaba's own review) or `manual` (only the helpers below decide)."""
        body: dict[str, Any] = {"mode": mode} if delay is None else {"mode": mode, "delay": delay}
        return self.admin.call("PUT", "/catalogue/review-policy", body, query={"account": self.account})

    def approve_template(self, code: str) -> dict[str, Any]:
        """End the review of template `code` approved: SendSms may use it, its TemplateSmsReport is pushed."""
        return self._decide("templates", code, "approve")

    def reject_template(self, code: str, reason: str = "") -> dict[str, Any]:
        """End the review rejected, with `reason` as GetSmsTemplate's RejectInfo; the app may then update it."""
        return self._decide("templates", code, "reject", reason)

    def cancel_template(self, code: str) -> dict[str, Any]:
        return self._decide("templates", code, "cancel")

    def template_status(self, code: str) -> str | None:
        """pending | approved | rejected | cancelled, or None when the account has no such template."""
        return self._status("templates", "code", code)

    def wait_for_template_status(self, code: str, status: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The template once it is in `status` (an application the app makes in the background included)."""
        return self._wait_status("templates", "code", code, status, timeout)

    def approve_sign(self, name: str) -> dict[str, Any]:
        return self._decide("signs", name, "approve")

    def reject_sign(self, name: str, reason: str = "") -> dict[str, Any]:
        return self._decide("signs", name, "reject", reason)

    def cancel_sign(self, name: str) -> dict[str, Any]:
        return self._decide("signs", name, "cancel")

    def sign_status(self, name: str) -> str | None:
        return self._status("signs", "name", name)

    def wait_for_sign_status(self, name: str, status: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return self._wait_status("signs", "name", name, status, timeout)

    def _decide(self, kind: str, key: str, decision: str, reason: str = "") -> dict[str, Any]:
        return self.admin.call("POST", f"/catalogue/{kind}/{urllib.parse.quote(key, safe='')}/{decision}",
                               {"reason": reason} if reason else {}, query={"account": self.account})

    def _item(self, kind: str, field: str, key: str) -> dict[str, Any] | None:
        return next((item for item in self.catalogue()[kind] if item.get(field) == key), None)

    def _status(self, kind: str, field: str, key: str) -> str | None:
        item = self._item(kind, field, key)
        return None if item is None else str(item["status"])

    def _wait_status(self, kind: str, field: str, key: str, status: str, timeout: float) -> dict[str, Any]:
        """Polled (a review has no change feed): every 50 ms until `timeout` real seconds have passed."""
        deadline = time.monotonic() + timeout
        while True:
            item = self._item(kind, field, key)
            if item is not None and item["status"] == status:
                return item
            if time.monotonic() >= deadline:
                seen = "no such item" if item is None else f"it is {item['status']}"
                raise MessageNotReceived(f"{kind[:-1]} {key!r} of account {self.account} not {status} within "
                                         f"{timeout:g} s ({seen})")
            time.sleep(0.05)

    # Account, clock, scenario, reset ---------------------------------------------------------------------

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change this account: `receipts={"sms_report": url}`, `return_url=`, `balance=`, `limits=` ..."""
        return self.admin.call("PATCH", f"/accounts/{urllib.parse.quote(self.account)}", settings)

    def now(self) -> float:
        """Virtual epoch seconds."""
        return float(self.admin.call("GET", "/clock")["now"])

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the virtual clock; deliveries and reports due by then have run when this returns.

        The clock is the emulator's, shared by every test using it: on a shared service, prefer assertions
        that hold whatever the time is, and leave big jumps to tests that own the emulator.
        """
        return self.admin.call("POST", "/clock/advance", {"seconds": seconds})

    def set_time(self, moment: float | str) -> dict[str, Any]:
        """Pin the virtual clock to epoch seconds or an ISO 8601 time (same caveat as `advance`)."""
        return self.admin.call("POST", "/clock/set", {"time": moment})

    def use_scenario(self, scenario: str | os.PathLike[str]) -> Any:
        """Load a scenario (YAML text, or a path to a YAML file) for the rest of this test.

        A scenario steers the whole emulator, not one account; the default scenario is back after the test.
        """
        text = _scenario_text(scenario)
        self._scenario_changed = True
        return self.admin.call("PUT", "/scenario", raw=text.encode(), content_type="application/yaml")

    def reset(self) -> None:
        """Forget this account's messages, codes, limit windows, reports and tokens (nobody else's)."""
        self._code_cursor.clear()
        self.admin.call("POST", "/reset", query={"what": "messages", "account": self.account})

    def close(self) -> None:
        """End of the test: put the default scenario back if the test changed it.

        and delete the test's account. Its messages stay: after a failure, the inbox (`inbox_url`) still
        shows what the test sent.
        """
        if self._scenario_changed:
            self.admin.call("DELETE", "/scenario", expect=(200, 204))
            self._scenario_changed = False
        # The account goes (a long session must not pile up thousands); gone already is fine.
        self.admin.call("DELETE", f"/accounts/{urllib.parse.quote(self.account)}", expect=(204, 404))


def _scenario_text(scenario: str | os.PathLike[str]) -> str:
    if isinstance(scenario, os.PathLike) or ("\n" not in scenario and scenario.endswith((".yaml", ".yml"))):
        return Path(scenario).read_text(encoding="utf-8")
    return scenario


def _sdk(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this helper needs the official SDK: pip install {package}") from exc


def create_account(url: str, ca: str | None = None, **settings: Any) -> dict[str, Any]:
    """A fresh, isolated account on the emulator at `url` (`POST /_emulator/accounts`)."""
    return AdminClient(url, ca).call("POST", "/accounts", settings, expect=(201,))


# pytest wiring -------------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sms-emulator")
    group.addoption("--sms-emulator-url", default=None, metavar="URL",
                    help=f"use the SMS emulator already running at URL instead of starting one in-process "
                         f"(default: ${ENV_URL})")
    group.addoption("--sms-emulator-ca", default=None, metavar="FILE",
                    help=f"the CA to trust for an https URL: the emulator's /_emulator/ca.pem (default: ${ENV_CA})")


@pytest.fixture(scope="session")
def sms_emulator_settings() -> Settings:
    """Settings of the in-process emulator; override this fixture in a conftest.py for other fixtures,
    scenario or seed, e.g. `return Settings(port=0, quiet=True, fixtures="tests/sms-fixtures")`."""
    return Settings(port=0, quiet=True)


@dataclass(frozen=True)
class Endpoint:
    url: str
    ca: str | None            # the PEM file to trust over HTTPS; None: the system's trust store


@pytest.fixture(scope="session")
def sms_emulator_endpoint(request: pytest.FixtureRequest, sms_emulator_settings: Settings) -> Iterator[Endpoint]:
    """Where the emulator for this session is, and the CA to trust: the one given, or one started here."""
    given = request.config.getoption("--sms-emulator-url") or os.environ.get(ENV_URL)
    if given:
        ca = request.config.getoption("--sms-emulator-ca") or os.environ.get(ENV_CA) or None
        try:
            AdminClient(given, ca).call("GET", "/health", timeout=10)
        except (OSError, EmulatorHTTPError) as exc:
            hint = f" (for HTTPS with the emulator's own CA: --sms-emulator-ca / ${ENV_CA})" if not ca else ""
            pytest.fail(f"no SMS emulator answering at {given} (--sms-emulator-url / ${ENV_URL}): {exc}{hint}",
                        pytrace=False)
        yield Endpoint(given.rstrip("/"), ca)
        return
    from emulator.ops.setup import TLS_KEY
    from emulator.server import EmulatorServer

    server = EmulatorServer(sms_emulator_settings).start()
    try:
        tls = server.app.get(TLS_KEY)
        yield Endpoint(server.url, str(tls.ca_path) if tls and tls.ca_path else None)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sms_emulator_url(sms_emulator_endpoint: Endpoint) -> str:
    """The base URL of the emulator for this session."""
    return sms_emulator_endpoint.url


@pytest.fixture
def sms_emulator(sms_emulator_endpoint: Endpoint) -> Iterator[SmsEmulator]:
    """The emulator, seen through a fresh account of this test's own (see `SmsEmulator`)."""
    url, ca = sms_emulator_endpoint.url, sms_emulator_endpoint.ca
    emulator = SmsEmulator(url, create_account(url, ca), ca)
    yield emulator
    emulator.close()
