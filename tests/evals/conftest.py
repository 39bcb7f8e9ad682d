"""Fixtures for the evaluation tests."""

from __future__ import annotations
