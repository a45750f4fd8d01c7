"""Controlled substances: ledger arithmetic, reconciliation and DEA deadlines (pure)."""
