"""The virtual clock over real sockets: read it, advance it, set it by epoch or ISO time."""

from __future__ import annotations

import time

import pytest

from tests.admin_helpers import get, send_1oc
from tests.conftest import admin


def test_get_clock_tells_virtual_and_real_time(emulator):
    status, body = get(emulator, "/clock")
    assert status == 200
    assert body["offset"] == 0 and abs(body["now"] - time.time()) < 5 and abs(body["wall"] - time.time()) < 5
    assert body["now_iso"].endswith("Z") and len(body["china_time"]) == 19


def test_advance_moves_now_and_runs_what_became_due(emulator):
    send_1oc(emulator)
    status, body = admin(emulator, "POST", "/_emulator/clock/advance", {"seconds": 3600})
    assert status == 200 and body["offset"] == pytest.approx(3600) and body["jobs_run"] >= 1
    [message] = get(emulator, "/messages")[1]["messages"]
    assert message["status"] == "delivered"


@pytest.mark.parametrize(("moment", "epoch"), [
    (1893456000, 1893456000.0),
    ("2030-01-01T00:00:00Z", 1893456000.0),
    ("2030-01-01T08:00:00+08:00", 1893456000.0),
    ("2030-01-01T00:00:00", 1893456000.0),           # no offset: UTC
])
def test_set_pins_the_clock_to_a_moment(emulator, moment, epoch):
    status, body = admin(emulator, "POST", "/_emulator/clock/set", {"time": moment})
    assert status == 200, body
    assert body["now"] == pytest.approx(epoch, abs=2)
    assert body["china_time"].startswith("2030-01-01 08:00")
    assert get(emulator, "/clock")[1]["now"] == pytest.approx(epoch, abs=2)   # and it keeps flowing from there


def test_set_forward_delivers_what_became_due(emulator):
    send_1oc(emulator)
    now = get(emulator, "/clock")[1]["now"]
    status, body = admin(emulator, "POST", "/_emulator/clock/set", {"time": now + 60})
    assert status == 200 and body["jobs_run"] >= 1
    assert get(emulator, "/messages")[1]["messages"][0]["status"] == "delivered"


def test_set_can_go_back(emulator):
    status, body = admin(emulator, "POST", "/_emulator/clock/set", {"time": "2001-02-03T04:05:06Z"})
    assert status == 200 and body["now_iso"].startswith("2001-02-03T04:05") and body["offset"] < 0


@pytest.mark.parametrize("body", [{}, {"time": "tomorrow"}, {"time": True}, {"time": None}, {"seconds": 5}])
def test_set_refuses_what_is_not_a_time(emulator, body):
    status, answer = admin(emulator, "POST", "/_emulator/clock/set", body)
    assert status == 400 and "time" in answer["error"]


@pytest.mark.parametrize("body", [{}, {"seconds": -1}, {"seconds": "5"}, {"seconds": True}])
def test_advance_refuses_bad_bodies(emulator, body):
    assert admin(emulator, "POST", "/_emulator/clock/advance", body)[0] == 400


def test_a_body_that_is_not_an_object_is_a_400(emulator):
    for path in ("/_emulator/clock/set", "/_emulator/clock/advance"):
        assert admin(emulator, "POST", path, [1, 2])[0] == 400
