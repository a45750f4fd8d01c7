"""KetaCare's pure clinical core.

Scoring, eligibility, dosing, session gates, pharmacokinetics, outcomes and recommendations
live here as plain functions over frozen dataclasses. This package never imports Django,
ninja or the database and never reads the clock: time is always an ``as_of`` argument.
An import-linter contract (pyproject.toml) enforces the rule in CI.
"""
