"""`sms-emulator validate FILE...`: check scenario files exactly as the server would load them.

Every problem is one line on stderr (`file:line:col: path: what was expected`), every good file one
`FILE: ok` line on stdout; the exit status is 1 when any file has a problem. Probability rules and `accounts:`
are checked against the same seed and fixtures the server would use (`--seed`/`--fixtures` or their
`SMS_EMULATOR_*` variables), so a file that validates here also loads there.
"""

from __future__ import annotations

import sys

from emulator.core.fixtures import FixtureError, load_fixtures
from emulator.scenarios.loader import ScenarioError, load_scenario_file
from emulator.settings import Settings


def validate_files(files: list[str], seed: int | None = None, fixtures: str | None = None) -> int:
    settings = Settings.from_env().merge(seed=seed, fixtures=fixtures)
    try:
        accounts = [item["name"] for item in load_fixtures(settings.fixtures).accounts]
    except FixtureError as exc:
        print(f"sms-emulator: {exc}", file=sys.stderr)
        return 2
    failed = False
    for file in files:
        try:
            scenario = load_scenario_file(file, seeded=settings.seed is not None, accounts=accounts)
        except ScenarioError as exc:
            failed = True
            for line in exc.problems:
                print(line, file=sys.stderr)
            continue
        count = len(scenario.rules)
        print(f"{file}: ok ({scenario.name}, {count} rule{'' if count == 1 else 's'})")
    return 1 if failed else 0
