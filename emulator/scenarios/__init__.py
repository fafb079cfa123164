"""Scenarios: YAML rules that decide every provider's behaviour (the `OutcomePolicy` of the core)."""
