"""No hard-coded home city: outside the demo and the data files, no source names the demo city.

The home city, its stations, its coach base and its display name come from ``homeward setup`` (the
``registry.HomeCity`` row). The demo (``demo/`` and its command) is the demo city on purpose, the
shipped data and its notice hold facts, and migrations are history.
"""

from __future__ import annotations

import re
from pathlib import Path

import homeward

SRC = Path(homeward.__file__).resolve().parent
TEXT_SUFFIXES = {".py", ".html", ".js", ".css", ".po", ".md", ".txt"}
# The demo city's names and its arrival station.
LITERAL = re.compile(r"cixi|慈溪|余姚北", re.IGNORECASE)
# core/planning/synthetic.py is the benchmark's synthetic campaign day, the demo city's like demo/.
ALLOWED = ("demo/", "cli/demo_cmd.py", "core/regions/data/", "core/planning/synthetic.py")


def _exempt(rel: str) -> bool:
    return "/migrations/" in f"/{rel}" or rel.startswith(ALLOWED)


def test_no_source_outside_the_demo_and_the_data_names_the_demo_city() -> None:
    found = []
    for path in sorted(SRC.rglob("*")):
        rel = path.relative_to(SRC).as_posix()
        if path.suffix not in TEXT_SUFFIXES or _exempt(rel):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if LITERAL.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], "the home city must come from the setup:\n" + "\n".join(found)


def test_the_check_sees_a_literal_where_one_is() -> None:
    """The pattern and the exemptions: a literal in an ordinary module is caught, the demo is not."""
    assert LITERAL.search('base = "Cixi"') and LITERAL.search("到达余姚北站")
    assert not _exempt("apps/heatmap/views.py") and not _exempt("templates/heatmap/screen.html")
    assert _exempt("demo/load.py") and _exempt("apps/planning/migrations/0001_initial.py")
