"""Code the tests share, kept apart from the tests: servers, builders, expected rules, paths."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
