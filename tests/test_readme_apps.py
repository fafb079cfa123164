"""The README's "Point your app at it" examples, as a user copies them: the Python and Node ones run against a live
emulator on a loopback port (the official SDKs, unchanged but for the endpoint); the Java, Go and PHP ones are
checked for syntax with the languages' own front ends (their SDKs would need a build this suite does not do).
README.zh-CN.md carries the same examples (tests/test_readme_zh.py keeps the two in step)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "tests" / "node"
SECTION = "## Point your app at it"


def examples(readme: str = "README.md", heading: str = SECTION) -> dict[str, str]:
    """The fenced code blocks of the section, by language."""
    text = (ROOT / readme).read_text(encoding="utf-8")
    start = text.index(heading)
    section = text[start:text.index("\n## ", start + len(heading))]
    return {lang: code for lang, code in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)}


def _missing(reason: str) -> None:
    """Fail in CI (`.ci/run` installs what is needed), skip with the install command elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_section_has_an_example_in_every_language_the_users_write():
    assert set(examples()) >= {"python", "js", "java", "go", "php"}


def test_the_python_example_sends_through_the_emulator(emulator):
    env = {**os.environ, "SMS_EMULATOR_ENDPOINT": emulator.endpoint}
    run = subprocess.run([sys.executable, "-c", examples()["python"]], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    code, biz_id = run.stdout.split()
    assert code == "OK" and biz_id in {m["biz_id"] for m in _messages(emulator)}


def test_the_node_example_sends_through_the_emulator(emulator, tmp_path):
    if shutil.which("node") is None:
        _missing("node is missing: apt-get install -y nodejs npm")
    if not (NODE_DIR / "node_modules" / "@alicloud" / "dysmsapi20170525").is_dir():
        _missing(f"the Node SDKs are missing: npm install --prefix {NODE_DIR.relative_to(ROOT)} (.ci/run does this)")
    script = tmp_path / "send.js"
    script.write_text(examples()["js"], encoding="utf-8")
    env = {**os.environ, "SMS_EMULATOR_ENDPOINT": emulator.endpoint, "NODE_PATH": str(NODE_DIR / "node_modules")}
    run = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    code, biz_id = run.stdout.split()
    assert code == "OK" and biz_id in {m["biz_id"] for m in _messages(emulator)}


def test_the_java_example_parses(tmp_path):
    if shutil.which("java") is None:
        _missing("java is missing: apt-get install -y default-jdk-headless")
    source = tmp_path / "SendWithEmulator.java"
    source.write_text(examples()["java"], encoding="utf-8")
    run = subprocess.run(["java", str(ROOT / "tests" / "tools" / "JavaSyntax.java"), str(source)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_go_example_parses(tmp_path):
    gofmt = shutil.which("gofmt") or next((str(p) for p in Path("/usr/lib").glob("go*/bin/gofmt")), None)
    if gofmt is None:
        _missing("gofmt is missing: apt-get install -y golang-go (.ci/run does this)")
    source = tmp_path / "main.go"
    source.write_text(examples()["go"], encoding="utf-8")
    run = subprocess.run([gofmt, "-e", "-l", str(source)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and not run.stderr, run.stderr
    assert run.stdout == "", f"not gofmt-formatted: {run.stdout}"


def test_the_php_example_parses(tmp_path):
    if shutil.which("php") is None:
        _missing("php is missing: apt-get install -y php-cli (.ci/run does this)")
    source = tmp_path / "send.php"
    source.write_text(examples()["php"], encoding="utf-8")
    run = subprocess.run(["php", "-l", str(source)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_chinese_readme_has_the_same_examples():
    zh = examples("README.zh-CN.md", "## 让应用连上模拟器")
    assert zh == examples()


def _messages(server) -> list[dict]:
    from tests.conftest import messages

    return messages(server, phone="13912345678")
