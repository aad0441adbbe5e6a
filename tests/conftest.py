"""Shared pytest fixtures. Area-specific helpers live in tests/helpers_<area>.py."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """The tests/fixtures folder."""
    return FIXTURES
