"""``homeward bench outreach`` on a tiny scale: a real child process sends the campaign, is killed
with SIGKILL in the middle, the campaign is resumed by a second child, and the outbox holds every
letter exactly once (the bench's own check, read from its JSON line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.slow
def test_the_bench_kills_the_worker_resumes_and_finds_no_duplicate_or_missing_letter(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HOMEWARD_"))},
        "PYTHONPATH": str(SRC),
        "HOMEWARD_DATA_DIR": str(tmp_path / "var"),
        # 20 letters a batch, 6,000 a minute: a batch every 0.2 s, so the kill lands mid-campaign
        "HOMEWARD_LETTERS_FILE_PER_MINUTE": "6000",
    }
    done = subprocess.run(
        [sys.executable, "-m", "homeward", "bench", "outreach", "--letters", "300", "--batch-size", "20"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["killed_after"] is not None and 0 < result["killed_after"] < 300
    assert (result["letters"], result["duplicates"], result["missing"], result["state"]) == (
        300,
        0,
        0,
        "done",
    )
