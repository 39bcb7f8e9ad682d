from __future__ import annotations

import tools.loyalty as loyalty


def _isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_the_package_exports_a_sorted_all_of_names_it_has() -> None:
    assert list(loyalty.__all__) == sorted(loyalty.__all__, key=_isort_style)
    assert len(set(loyalty.__all__)) == len(loyalty.__all__)
    assert all(hasattr(loyalty, name) for name in loyalty.__all__)


def test_the_ledger_functions_other_packages_call_are_exported() -> None:
    for name in ("post_entry", "reverse_entry", "balance", "history", "ensure_account"):
        assert callable(getattr(loyalty, name))


def test_what_only_the_engine_and_its_tests_use_stays_in_its_module() -> None:
    assert not hasattr(loyalty, "expire_due")
    assert "expire_due" not in loyalty.__all__
