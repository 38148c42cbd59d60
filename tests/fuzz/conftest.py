"""The fuzz tests print their counts at the end of the run, whether they pass or fail."""

from __future__ import annotations

import pytest

SUMMARY = pytest.StashKey[list[str]]()


@pytest.fixture
def fuzz_summary(request: pytest.FixtureRequest) -> list[str]:
    """Lines a fuzz test appends to; printed in the terminal summary."""
    return request.config.stash.setdefault(SUMMARY, [])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("fuzzing (schemathesis)")
        for line in lines:
            terminalreporter.write_line(line)
