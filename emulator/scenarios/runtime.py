"""Wiring the scenario engine into a running emulator: the startup scenario and run-time load options."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.scenarios.engine import ScenarioEngine
from emulator.scenarios.loader import builtin_scenarios_dir, load_scenario_file
from emulator.scenarios.model import Scenario

if TYPE_CHECKING:
    from emulator.core.backend import Backend
    from emulator.core.fixtures import Fixtures


def startup_scenario(path: str | Path | None, *, seeded: bool, accounts: Collection[str] | None) -> Scenario:
    """The `--scenario` file, or the built-in default scenario.

    The built-in one is schema-checked by the test suite (tests/test_scenarios_validation.py); skipping that
    here keeps jsonschema's import (~20 ms) off every default start, as for the built-in fixtures."""
    return load_scenario_file(path or builtin_scenarios_dir() / "default.yaml", seeded=seeded, accounts=accounts,
                              schema_checked=path is None)


def build_engine(path: str | Path | None, seed: int | None, fixtures: Fixtures) -> ScenarioEngine:
    """The engine for a new backend; call `engine.attach(backend)` once the backend exists."""
    names = [item["name"] for item in fixtures.accounts]
    return ScenarioEngine(startup_scenario(path, seeded=seed is not None, accounts=names))


def load_options(backend: Backend) -> dict[str, Any]:
    """What a scenario loaded at run time is checked against: the backend's seed and its accounts."""
    return {"seeded": backend.ids.seed is not None, "accounts": [a.name for a in backend.accounts.all()]}
