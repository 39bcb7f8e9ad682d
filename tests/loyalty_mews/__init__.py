"""Tests of the loyalty engine against Mews: facts loader, ledger sync, stay accrual, CLI."""
