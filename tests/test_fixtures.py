"""Fixtures: the built-in files are valid, and a broken user file is reported precisely at start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator.core.fixtures import FIXTURE_FILES, SCHEMAS, FixtureError, builtin_fixtures_dir, load_fixtures
from emulator.core.yamlsource import load_yaml, schema_errors


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_builtin_fixture_files_match_their_schema(name):
    path = builtin_fixtures_dir() / name
    assert schema_errors(load_yaml(path.read_text(encoding="utf-8"), str(path)), SCHEMAS[name]) == []


def test_builtin_defaults_carry_the_documented_credentials_signs_and_templates():
    fixtures = load_fixtures()
    default = fixtures.accounts[0]
    assert default["access_keys"][0] == {"id": "testid", "secret": "testsecret"}
    assert default["onecloud"]["app_secret"] == "testappsecret"
    assert fixtures.sign("dysms", "阿里云短信测试") and fixtures.sign("dysms", "驴游")
    assert fixtures.sign("dypns", "速通互联验证码")
    assert fixtures.template("dysms", "SMS_462056166").content == "您的验证码是${code}，5分钟内有效，请勿泄露。"
    assert fixtures.template("dysms", "SMS_154950909").type == "verification"
    assert fixtures.template("dypns", "100001") and fixtures.template("dysms", "CARD_SMS_70").type == "card"


def _error(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    return str(info.value)


def test_a_user_directory_overrides_only_the_files_it_has(tmp_path):
    (tmp_path / "accounts.yaml").write_text("accounts:\n  - name: mine\n    access_keys: [{id: k, secret: s}]\n")
    fixtures = load_fixtures(tmp_path)
    assert [a["name"] for a in fixtures.accounts] == ["mine"]
    assert fixtures.template("dysms", "SMS_154950909") is not None   # templates still the built-in ones


@pytest.mark.parametrize(("text", "expected"), [
    ("accounts:\n  - name: a\n    balanse: 3\n",
     "accounts.yaml:3:5: accounts/0: unknown key ('balanse' was unexpected)"),
    ("accounts:\n  - name: a\n    balance: lots\n", "accounts.yaml:3:14: accounts/0/balance: 'lots' is not of type"),
    ("accounts:\n  - name: a\n    qps: 0\n", "accounts.yaml:3:10: accounts/0/qps: 0 is less than the minimum of 1"),
    ("accounts: [\n", "accounts.yaml:2:1: not valid YAML"),
    ("accounts:\n  - name: a\n  - name: a\n", "accounts.yaml:3:11: duplicate account name 'a'"),
])
def test_broken_accounts_file_names_file_line_and_column(tmp_path, text, expected):
    assert expected in _error(tmp_path, "accounts.yaml", text)


def test_broken_templates_file_names_the_allowed_values(tmp_path):
    message = _error(tmp_path, "templates.yaml", "templates:\n  - code: X\n    content: hi\n    type: sms\n")
    assert "templates.yaml:4:11: templates/0/type: 'sms' is not one of 'verification', 'notification'" in message


def test_the_cli_reports_a_bad_fixture_in_one_line_and_exits_non_zero(tmp_path):
    (tmp_path / "signs.yaml").write_text("signs:\n  - nam: x\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "emulator", "serve", "--fixtures", str(tmp_path), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "signs.yaml:2:5" in result.stderr and "name" in result.stderr
    assert "Traceback" not in result.stderr
