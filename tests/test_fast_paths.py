"""The hot request path's shortcuts agree with the plain definitions they stand in for.

Each shortcut (percent-encoding by table, the SDKs' exact Authorization form, HMAC with a cached key schedule,
the scenario's phone index, pre-split templates, the phone parse cache) exists for speed only; these
properties pin it to the slow, obviously right version over generated inputs.
"""

from __future__ import annotations

import hmac
import json
import re
from urllib.parse import quote

from hypothesis import assume, given
from hypothesis import strategies as st

from emulator.core.outcomes import Call
from emulator.core.phones import _parse, parse_phone
from emulator.core.templates import render, variables
from emulator.protocols.aliyun import signature as sig
from emulator.protocols.aliyun.encoding import enc
from emulator.scenarios.loader import parse_scenario

NUMBERS = ["13900000001", "13900000002", "13900000003", "13800000001"]


@given(st.text())
def test_percent_encoding_agrees_with_rfc3986_quoting(value: str):
    assume(not any("\ud800" <= ch <= "\udfff" for ch in value))   # lone surrogates are no UTF-8 text
    assert enc(value) == quote(value, safe="~")


@given(credential=st.from_regex(r"[A-Za-z0-9.]{1,24}", fullmatch=True),
       signed=st.lists(st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), min_size=1, max_size=8),
       signature=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
       spaced=st.booleans())
def test_the_sdk_form_of_authorization_parses_as_the_general_form(credential, signed, signature, spaced):
    separator = ", " if spaced else ","     # spaced: the general parser; unspaced: the SDKs' exact form
    header = (f"ACS3-HMAC-SHA256 Credential={credential}{separator}SignedHeaders={';'.join(signed)}"
              f"{separator}Signature={signature}")
    assert sig.parse_authorization(header) == ("ACS3-HMAC-SHA256", credential, tuple(signed), signature)


_number = st.sampled_from(NUMBERS).map(json.dumps)
#: a rule's `phone` condition as YAML: none, exact numbers, globs, a prefix, or exact and glob mixed
_phone_condition = st.one_of(
    st.none(),
    _number,
    st.lists(_number, min_size=1, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
    st.sampled_from(['"1390000000?"', '"139*"', '{prefix: "1380"}', '["13900000001", "1380*"]']),
)


@given(conditions=st.lists(_phone_condition, min_size=1, max_size=8),
       phones=st.lists(st.sampled_from([*NUMBERS, "13700000000"]), min_size=0, max_size=4))
def test_the_phone_index_offers_every_rule_that_matches_in_order(conditions, phones):
    rules = [f"  - {{match: {{{'' if c is None else 'phone: ' + c}}}, then: {{latency: 1}}}}" for c in conditions]
    scenario = parse_scenario("rules:\n" + "\n".join(rules))
    call = Call(provider="dysms", action="SendSms", params={}, account="default", phones=tuple(phones))
    matching = [rule.index for rule in scenario.rules if rule.match.matches(call, 0.0)]
    offered = [rule.index for rule in scenario.candidates(call.phones)]
    assert offered == sorted(offered)
    assert [index for index in offered if scenario.rules[index].match.matches(call, 0.0)] == matching


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@given(content=st.lists(st.one_of(st.text(alphabet="ab ${}【】", max_size=6),
                                  st.sampled_from(["${code}", "${min}", "${x_1}", "${code}"])), max_size=8)
       .map("".join),
       params=st.dictionaries(st.sampled_from(["code", "min", "other"]), st.text(max_size=5), max_size=3))
def test_templates_render_as_placeholder_substitution(content, params):
    assert render(content, params) == _PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), content)
    assert list(variables(content)) == list(dict.fromkeys(_PLACEHOLDER.findall(content)))


@given(st.one_of(st.text(max_size=40), st.sampled_from(["13912345678", "+8613912345678", " 008613912345678 "])))
def test_parsing_a_phone_twice_or_uncached_gives_the_same_answer(raw):
    assert parse_phone(raw) == parse_phone(raw) == _parse(raw)


@given(key=st.binary(max_size=100), message=st.binary(max_size=300), digest=st.sampled_from(["sha1", "sha256"]))
def test_hmac_with_a_cached_key_schedule_is_hmac(key, message, digest):
    assert sig.hmac_digest(key, message, digest) == hmac.digest(key, message, digest)
    assert sig.hmac_digest(key, message, digest) == hmac.digest(key, message, digest)   # from the cache
