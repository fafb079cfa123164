"""Reading scenario YAML into a `Scenario`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from emulator.core.yamlsource import load_yaml
from emulator.scenarios.engine import Match, Pattern, Rule, Scenario


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names file, line and column."""


def builtin_scenarios_dir() -> Path:
    packaged = resources.files("emulator") / "_builtin" / "scenarios"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "scenarios"


def default_scenario() -> Scenario:
    return load_scenario_file(builtin_scenarios_dir() / "default.yaml")


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        doc = load_yaml(text, source)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    data = doc.data
    if not isinstance(data, dict):
        raise ScenarioError(f"{doc.where(())}: a scenario is a mapping with a `rules` list")
    rules = []
    for index, item in enumerate(data.get("rules") or []):
        rules.append(_rule(item, index))
    return Scenario(name=str(data.get("name", Path(source).stem)), rules=rules,
                    description=str(data.get("description", "")), source=source)


def _rule(item: dict[str, Any], index: int) -> Rule:
    match = item.get("match") or {}
    then = item.get("then") or {}
    return Rule(
        name=str(item.get("name", f"rule {index + 1}")),
        match=Match(
            providers=_set(match.get("provider")),
            actions=_pattern(match.get("action")),
            phones=_pattern(match.get("phone")),
        ),
        error=then.get("error"),
        message=then.get("message"),
        latency=then.get("latency"),
        fault=then.get("fault"),
        delivery=then.get("delivery"),
        card=None if "card" not in then else then["card"] == "supported",
    )


def _tuple(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _pattern(value: Any) -> Pattern | None:
    values = _tuple(value)
    return Pattern(values) if values is not None else None


def _set(value: Any) -> frozenset[str] | None:
    values = _tuple(value)
    return frozenset(values) if values is not None else None
