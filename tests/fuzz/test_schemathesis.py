"""schemathesis over /api/v1/openapi.json against a live server on the small demo city, as several
roles: no 5xx, every response matches its documented status, media type and schema, and data the
schema forbids is refused with a 4xx.

Bounded and repeatable: ``EXAMPLES`` cases per operation, generation mode (positive and negative)
and role, from the fixed Hypothesis seed ``SEED``; the counts are printed in the terminal summary.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.fuzz.harness import Tally, fuzz_role, load_schema, report, sign_in

pytestmark = pytest.mark.fuzz

# Anonymous first (every operation must answer it 401, not 403 or 500), then one user per kind of
# scope: the whole city, a town, an enterprise, a department, a worker.
ROLES = ["anonymous", "taskforce", "town", "enterprise", "transport", "worker"]
EXAMPLES = 6
SEED = 20200210  # the day Cixi's first chartered buses left


@pytest.fixture
def demo_city(transactional_db, settings, tmp_path):
    """The small demo city (6,700 workers, 120 enterprises, a heat map, demo applications and one
    user per role) in the test database that the live server serves."""
    from homeward.demo.generate import generate_city
    from homeward.demo.load import PASSWORD, USERNAME_PREFIX, load_city

    settings.MEDIA_ROOT = str(tmp_path / "media")  # uploads the fuzzer sends land here
    load_city(generate_city("small", 1))
    return USERNAME_PREFIX, PASSWORD


def test_it_answers_every_operation_within_its_schema_as_every_role(live_server, demo_city, fuzz_summary):
    prefix, password = demo_city
    schema = load_schema(live_server.url)
    tally = Tally()
    started = time.monotonic()
    for role in ROLES:
        session = (
            requests.Session() if role == "anonymous" else sign_in(live_server.url, prefix + role, password)
        )
        fuzz_role(schema, live_server.url, role, session, tally, examples=EXAMPLES, hypothesis_seed=SEED)
    lines = report(tally, ROLES, EXAMPLES, time.monotonic() - started)
    fuzz_summary.extend(lines)

    assert len(tally.operations) >= 40  # the whole schema was walked, not an empty one
    assert tally.statuses[401] > 0 and sum(n for s, n in tally.statuses.items() if s < 300) > 0
    assert not tally.findings, "\n".join(lines)
