"""Load without loss: thousands of sends through all three providers while the clock moves and reports retry.

Afterwards every acknowledged message is stored exactly once, and every report reached the receiver exactly
once as a success: a receiver that fails the first attempt of every third report gets exactly one retry. The
account was billed exactly the stored messages' segments, and the metrics counted every request and attempt.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.signing import signed_query

PER_PROVIDER = 1000
CONCURRENCY = 64


class FlakyReceiver:
    """Fails the first attempt of every third report (chosen by content, so it is deterministic)."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int]] = []
        self._seen: set[str] = set()

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        items = body if isinstance(body, list) else [body]
        key = request.path + "|" + ",".join(
            f"{i.get('biz_id', i.get('mid'))}:{i.get('phone_number', '')}" for i in items)
        first_time = key not in self._seen
        self._seen.add(key)
        fail = first_time and int(hashlib.md5(key.encode()).hexdigest(), 16) % 3 == 0
        self.answers.append((key, 500 if fail else 200))
        if fail:
            return web.Response(status=500, text="try again")
        return web.json_response({"code": 0, "msg": "接收成功"})

    def successes(self) -> Counter[str]:
        return Counter(key for key, status in self.answers if status == 200)


@pytest.fixture
def load_server():
    srv = EmulatorServer(Settings(port=0, quiet=True, seed=11,
                                  fixtures=str(Path(__file__).parent / "fixtures" / "load"))).start()
    yield srv
    srv.stop()


async def _run(server: EmulatorServer) -> dict:
    receiver = FlakyReceiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    base = server.url
    acks: dict[str, list[str]] = {"dysms": [], "dypns": [], "onecloud": []}
    limit = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as http:
        async with http.patch(f"{base}/_emulator/accounts/default",
                              json={"receipts": {"sms_report": f"{hook}/sms", "dypns_report": f"{hook}/pns"}}) as r:
            assert r.status == 200, await r.text()

        async def aliyun(action: str, params: dict, provider: str, extract) -> None:
            async with limit:
                query = signed_query(action, params, server.backend.clock.wall())
                async with http.post(f"{base}/?{query}") as r:
                    body = await r.json()
            if r.status == 200 and body.get("Code") == "OK":
                acks[provider].append(extract(body))

        async def onecloud(i: int) -> None:
            async with limit:
                url = (f"{base}/?module=sms&file=send&action=send&mobphone=137{i:08d}&code={i % 9999}"
                       f"&smstemplate=1001&returnurl={hook}/1oc")
                async with http.get(url, headers={"Authorization": "testappsecret"}) as r:
                    body = await r.json(content_type=None)
            if body.get("code") == 200:
                acks["onecloud"].append(body["mid"])

        stop = asyncio.Event()

        async def tick() -> None:   # the clock moves while requests are in flight
            while not stop.is_set():
                async with http.post(f"{base}/_emulator/clock/advance", json={"seconds": 2}) as r:
                    assert r.status == 200
                await asyncio.sleep(0.02)

        ticker = asyncio.create_task(tick())
        sends = []
        for i in range(PER_PROVIDER):
            sends.append(aliyun("SendSms", {"PhoneNumbers": f"139{i:08d}", "SignName": "驴游",
                                            "TemplateCode": "SMS_462056166", "TemplateParam": '{"code":"1234"}'},
                                "dysms", lambda b: b["BizId"]))
            sends.append(aliyun("SendSmsVerifyCode", {"PhoneNumber": f"138{i + 10000:08d}",
                                                      "SignName": "速通互联验证码", "TemplateCode": "100001",
                                                      "TemplateParam": '{"code":"##code##","min":"5"}'},
                                "dypns", lambda b: b["Model"]["BizId"]))
            sends.append(onecloud(i))
        await asyncio.gather(*sends)
        stop.set()
        await ticker
        for _ in range(4):   # past every delivery delay and the whole 60/300/600 s retry schedule
            async with http.post(f"{base}/_emulator/clock/advance", json={"seconds": 700}) as r:
                assert r.status == 200
        async with http.get(f"{base}/_emulator/messages") as r:
            stored = (await r.json())["messages"]
        async with http.get(f"{base}/_emulator/callbacks") as r:
            callbacks = await r.json()
        async with http.get(f"{base}/_emulator/accounts/default") as r:
            account = await r.json()
        async with http.get(f"{base}/_emulator/metrics") as r:
            metrics = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for family in text_string_to_metric_families(await r.text()) for s in family.samples}
    await runner.cleanup()
    return {"acks": acks, "stored": stored, "receiver": receiver, "callbacks": callbacks, "account": account,
            "metrics": metrics}


def test_thousands_of_sends_lose_nothing_and_reports_arrive_exactly_once(load_server):
    result = asyncio.run(_run(load_server))
    acks, stored, receiver = result["acks"], result["stored"], result["receiver"]
    for provider in ("dysms", "dypns", "onecloud"):
        assert len(acks[provider]) == PER_PROVIDER, provider
        ids = [m["biz_id"] for m in stored if m["provider"] == provider]
        assert Counter(ids) == Counter(acks[provider]), provider          # each acknowledged message once
        assert all(m["status"] == "delivered" for m in stored if m["provider"] == provider)
    successes = receiver.successes()
    assert len(successes) == 3 * PER_PROVIDER                             # one success per message
    assert set(successes.values()) == {1}                                 # ... and never a duplicate success
    failed_first = [key for key, status in receiver.answers if status == 500]
    assert failed_first and all(successes[key] == 1 for key in failed_first)
    assert len(receiver.answers) == 3 * PER_PROVIDER + len(failed_first)  # exactly one retry per failure
    assert result["callbacks"]["pending"] == []
    assert len(result["callbacks"]["attempts"]) == len(receiver.answers)  # every attempt recorded
    assert result["account"]["balance"] == 1_000_000 - sum(m["segments"] for m in stored)   # billed exactly

    metrics = result["metrics"]

    def counted(name: str, **labels: str) -> float:
        return metrics.get((name, tuple(sorted(labels.items()))), 0.0)

    for provider, action, code in (("dysms", "SendSms", "OK"), ("dypns", "SendSmsVerifyCode", "OK"),
                                   ("onecloud", "Send", "200")):
        assert counted("sms_emulator_requests_total", provider=provider, action=action, code=code) == PER_PROVIDER
    attempts = Counter()
    for (name, labels), value in metrics.items():
        if name == "sms_emulator_callbacks_total":
            attempts[dict(labels)["result"]] += value
    assert attempts == {"delivered": 3 * PER_PROVIDER, "retrying": len(failed_first)}
