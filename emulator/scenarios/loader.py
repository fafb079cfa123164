"""Reading scenario YAML (or JSON) into a `Scenario`, refusing anything that would not do what it says.

Three passes, each a precise line per problem (`file:line:col: path: what was expected`): YAML syntax, the
JSON Schema shipped in this package (`schema.json`, also usable by editors), and the semantic checks of
`build.py`. A scenario with any problem is never loaded: at start the emulator exits, at run time (PUT, hot
reload) the previous scenario stays in force.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from emulator.core.bounds import finite_problem, loads_json
from emulator.core.yamlsource import MAX_DOCUMENT_BYTES, YamlError, load_yaml, schema_errors
from emulator.scenarios.build import Builder
from emulator.scenarios.model import Scenario
from emulator.scenarios.reviews import build_reviews


class ScenarioError(ValueError):
    """A scenario that cannot be used; `problems` holds one line per problem, each naming file, line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (draft 2020-12)."""
    text = resources.files("emulator.scenarios").joinpath("schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def builtin_scenarios_dir() -> Path:
    packaged = resources.files("emulator") / "_builtin" / "scenarios"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "scenarios"


def load_scenario_file(path: str | Path, *, seeded: bool = False, accounts: Collection[str] | None = None,
                       schema_checked: bool = False) -> Scenario:
    """Load a file; a bare name of the library (`slow-network`) that is not a file here means the shipped one."""
    path = Path(path)
    shipped = builtin_scenarios_dir() / f"{path.name}.yaml"
    if not path.exists() and path.name == str(path) and not path.suffix and shipped.is_file():
        path = shipped
    try:
        with path.open("rb") as file:       # never more than the bound into memory, whatever the file holds
            raw = file.read(MAX_DOCUMENT_BYTES + 1)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise ScenarioError([f"{path}: the file is larger than {MAX_DOCUMENT_BYTES} bytes (1 MiB), the most a "
                                 "scenario may be"])
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    return parse_scenario(text, str(path), seeded=seeded, accounts=accounts, schema_checked=schema_checked)


def parse_scenario(text: str, source: str = "<scenario>", *, seeded: bool = False,
                   accounts: Collection[str] | None = None, schema_checked: bool = False) -> Scenario:
    """Parse and check a scenario.

    `seeded` says whether the emulator runs with `--seed` (probability is refused otherwise, unless the scenario
    has its own `seed`); `accounts` are the account names `accounts:` may configure (None: not checked);
    `schema_checked` skips the JSON Schema pass for a text known to pass it (a shipped scenario).
    """
    try:
        doc = load_yaml(text, source)
    except YamlError as exc:
        raise ScenarioError([str(exc)]) from None
    if doc.data is None:
        raise ScenarioError([f"{source}:1:1: (top level): the scenario is empty; expected a mapping with a "
                             "`rules` list"])
    if not isinstance(doc.data, dict):
        raise ScenarioError([f"{doc.where(())}: (top level): a scenario is a mapping with `name`, `description`, "
                             f"`seed`, `accounts`, `rules` and `reviews`; got a {type(doc.data).__name__}"])
    doc.data = _plain(doc.data)
    odd = finite_problem(doc.data)
    if odd is not None:     # `.nan` passes `minimum: 0` and `.inf` every `maximum`: refuse them before the schema
        path, why = odd
        raise ScenarioError([f"{doc.where(path)}: {'/'.join(path) or '(top level)'}: {why}; expected a finite "
                             "number (at most 64 bits for integers)"])
    problems = [] if schema_checked else [_readable(line) for line in schema_errors(doc, schema())]
    if problems:
        raise ScenarioError(problems)
    builder = Builder(doc, seeded=seeded, accounts=accounts)
    overrides = builder.account_overrides()
    rules = builder.rules()
    reviews = build_reviews(builder)
    if builder.problems:
        raise ScenarioError(builder.problems)
    data = doc.data
    unnamed = "unnamed" if source.startswith("<") else Path(source).stem
    return Scenario(name=str(data.get("name") or unnamed), rules=rules,
                    description=str(data.get("description", "")), source=source, seed=data.get("seed"),
                    accounts=overrides, reviews=reviews, text=text, document=data)


def parse_scenario_body(raw: bytes, content_type: str, source: str, *, seeded: bool = False,
                        accounts: Collection[str] | None = None) -> Scenario:
    """A scenario sent over HTTP: YAML, or JSON (read as YAML when it can be, so line numbers stay exact)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{source}: the body is not UTF-8"]) from None
    if "json" in content_type:
        try:
            data = loads_json(text)
        except ValueError as exc:
            raise ScenarioError([f"{source}: not valid JSON: {exc}"]) from None
        try:
            load_yaml(text, source)
        except YamlError:   # JSON that PyYAML cannot read (tabs): check a re-indented copy instead
            text = json.dumps(data, ensure_ascii=False, indent=2)
    return parse_scenario(text, source, seeded=seeded, accounts=accounts)


def _readable(problem: str) -> str:
    """The schema's duration pattern, said in words."""
    pattern = schema()["$defs"]["duration"]["pattern"]
    return problem.replace(f"does not match {pattern!r}", "is not a duration; expected seconds or 250ms, 30s, "
                                                          "5m, 2h, 1d")


def _plain(value: Any) -> Any:
    """YAML reads unquoted times as datetimes and some keys as numbers; the schema speaks JSON, so make them text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value
