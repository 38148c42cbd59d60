from __future__ import annotations

import pytest


@pytest.fixture
def letters_dir(settings, tmp_path):
    settings.HOMEWARD_LETTERS_DIR = tmp_path / "letters"
    return settings.HOMEWARD_LETTERS_DIR


@pytest.fixture
def away_world(enterprise_a, enterprise_b):
    """Workers still away: 7 of enterprise A from 毕节 (5205..), 3 of enterprise B from 阜阳 (3412..),
    one of A already back."""
    from homeward.apps.registry.models import Worker
    from tests.factories import WorkerFactory

    a = WorkerFactory.create_batch(7, employer=enterprise_a, origin_code="520502")
    b = WorkerFactory.create_batch(3, employer=enterprise_b, origin_code="341202")
    back = WorkerFactory(employer=enterprise_a, origin_code="520502", status=Worker.Status.RETURNED)
    return {"a": a, "b": b, "back": back}


def outbox(directory) -> list[dict]:
    """Every letter the file channel wrote, over all of a campaign's batch files."""
    import json

    out = []
    for path in sorted(directory.glob("campaign-*/batch-*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return out
