"""Fixtures of the loyalty engine tests: the shipped program file and a migrated store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.store import Store
from tests.loyalty.builders import migrated_store
from tools.loyalty import ProgramConfig, ProgramFile, default_program_path, load_program_file


@pytest.fixture(scope="session")
def programs() -> ProgramFile:
    return load_program_file(default_program_path())


@pytest.fixture(scope="session")
def pc01(programs: ProgramFile) -> ProgramConfig:
    return programs.program("PC01")


@pytest.fixture(scope="session")
def gec07(programs: ProgramFile) -> ProgramConfig:
    return programs.program("GEC07")


@pytest.fixture
def store() -> Iterator[Store]:
    store = migrated_store()
    yield store
    store.dispose()
