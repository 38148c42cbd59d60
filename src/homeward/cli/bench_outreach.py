"""``homeward bench outreach --letters N``: letters home rendered and sent on the file channel, with
the sending worker killed (SIGKILL) once in the middle and the campaign resumed.

In a bench database it creates and drops (PostgreSQL next to ``--database-url`` / ``DATABASE_URL``,
else a temporary SQLite file): the city, a few thousand enterprises and N workers away, generated in
bulk; then a campaign to all of them. A child process (``bench outreach --run-campaign ID``, the same
``campaign_execute_now`` the task worker runs) sends it; once half the letters are out the parent
kills it with SIGKILL, waits out the run's lease (``HOMEWARD_RUN_LEASE_SECONDS``, short here),
resumes the campaign and starts a second child, which finishes. Then it reads every batch file of
the outbox and the letters table: ``duplicates`` (a letter or a worker written twice) and
``missing`` (a worker of the audience without exactly one delivered letter) must both be 0.

``seconds`` is the two children's working time (from start to exit or kill, the wait for the lease
left out; ``wall_seconds`` has it); the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

LEASE_SECONDS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--letters", type=int, default=400_000, help="workers away, one letter each")
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument(
        "--kill-at", type=float, default=0.5, help="share of letters out when the worker is killed"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: DATABASE_URL, else SQLite)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the temporary files and database")
    parser.add_argument("--run-campaign", type=int, help=argparse.SUPPRESS)  # the child's part


def _generate(n: int, seed: int) -> None:
    """N registry workers away from the DESIGN §4 origin provinces, employed by 3,000 enterprises."""
    from homeward.apps.registry.models import Enterprise, Town, Worker
    from homeward.cli.bench_cmd import _origin_codes, _usccs
    from homeward.core.identity import ric_check_char

    rng = random.Random(seed)
    towns = list(Town.objects.all())
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(uscc=u, name=f"家书测试{i:04d}厂", town=towns[i % len(towns)])
            for i, u in enumerate(_usccs(rng, 3_000))
        ],
        batch_size=5_000,
    )
    origins = _origin_codes(rng)
    born = date(1970, 1, 1)
    rows = []
    for i in range(n):
        birth = born + timedelta(days=i // 900)  # 900 a day: sequence numbers 100-999
        first17 = f"{origins[i % len(origins)]}{birth:%Y%m%d}{100 + i % 900:03d}"
        rows.append(
            Worker(
                id_number=first17 + ric_check_char(first17), name=f"王{i}", phone=f"139{i:08d}",
                origin_code=first17[:6], birth_date=birth, employer=enterprises[rng.randrange(len(enterprises))],
                status=Worker.Status.AWAY,
            )
        )  # fmt: skip
        if len(rows) == 20_000:
            Worker.objects.bulk_create(rows, batch_size=5_000)
            rows = []
    Worker.objects.bulk_create(rows, batch_size=5_000)


def _child(campaign_id: int) -> int:
    from homeward.cli._django import setup_django

    setup_django()
    from homeward.apps.letters.services import campaign_execute_now

    print(f"worker {os.getpid()}: campaign {campaign_id} {campaign_execute_now(campaign_id)}", flush=True)
    return 0


def _spawn(campaign_id: int) -> subprocess.Popen[bytes]:
    profile = os.environ.get("HOMEWARD_BENCH_PROFILE")  # a cProfile output file for the child
    python = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else [])]
    return subprocess.Popen(
        [*python, "-m", "homeward", "bench", "outreach", "--run-campaign", str(campaign_id)]
    )


def _outbox(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("batch-*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            out.extend(json.loads(line) for line in fh if line.strip())
    return out


def run_bench_outreach(args: argparse.Namespace) -> int:
    if args.run_campaign:
        return _child(args.run_campaign)
    from homeward.cli.bench_cmd import _fresh_database

    workdir = Path(tempfile.mkdtemp(prefix="homeward-bench-outreach-"))
    drop = None
    try:
        db_url, drop = _fresh_database(args.database_url or os.environ.get("DATABASE_URL"), workdir)
        os.environ.update(
            DATABASE_URL=db_url, HOMEWARD_DATA_DIR=str(workdir / "var"),
            HOMEWARD_MEDIA_ROOT=str(workdir / "var" / "media"), HOMEWARD_LETTERS_DIR=str(workdir / "letters"),
            HOMEWARD_RUN_LEASE_SECONDS=str(LEASE_SECONDS),
        )  # fmt: skip
        from homeward.cli._django import setup_django

        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from homeward.apps.accounts.policy import BENCH
        from homeward.apps.accounts.services import user_create_with_role
        from homeward.apps.letters.models import Campaign, Letter, LetterState
        from homeward.apps.letters.services import campaign_create, campaign_resume
        from homeward.apps.registry.services.city import city_setup
        from homeward.core import regions

        call_command("migrate", interactive=False, verbosity=0)
        city_setup(actor=BENCH, code=regions.DEMO_CITY_CODE)
        t0 = time.perf_counter()
        _generate(args.letters, args.seed)
        print(
            f"generated {args.letters:,} workers away in {time.perf_counter() - t0:.1f}s; database: {connection.vendor}"
        )
        taskforce = user_create_with_role(
            actor=BENCH, username="bench-taskforce", password="bench-pass-1", role="taskforce"
        )
        campaign = campaign_create(
            actor=taskforce, name="家书基准", template="{姓名}您好，{企业}（{镇街}）盼您返岗：{链接} 短码 {短码}，热线 {热线}",
            hotline="0574-12345", channel="file", audience={},
        )  # fmt: skip
        # queued by hand: the bench's own children run it, not the task queue
        Campaign.objects.filter(pk=campaign.pk).update(state="queued", batch_size=args.batch_size)
        connection.close()

        wall0 = time.perf_counter()
        worked = 0.0
        t0 = time.perf_counter()
        child = _spawn(campaign.pk)
        killed_at = None
        while child.poll() is None:
            time.sleep(0.2)
            done = Campaign.objects.values_list("letters_done", flat=True).get(pk=campaign.pk)
            if done >= args.letters * args.kill_at:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                killed_at = Letter.objects.filter(campaign=campaign).exclude(state=LetterState.QUEUED).count()
                print(f"killed worker {child.pid} with SIGKILL after {killed_at:,} letters")
                break
        worked += time.perf_counter() - t0
        if killed_at is not None:
            time.sleep(LEASE_SECONDS + 1)  # the run's lease lapses: it is abandoned, then resumed
            campaign_resume(actor=taskforce, campaign_id=campaign.pk)
            connection.close()
            t0 = time.perf_counter()
            child = _spawn(campaign.pk)
            child.wait()
            worked += time.perf_counter() - t0
        wall = time.perf_counter() - wall0

        campaign.refresh_from_db()
        outbox = _outbox(Path(os.environ["HOMEWARD_LETTERS_DIR"]) / f"campaign-{campaign.pk}")
        letters = dict(Letter.objects.filter(campaign=campaign).values_list("pk", "person_id"))
        delivered = set(
            Letter.objects.filter(campaign=campaign, state=LetterState.DELIVERED).values_list("pk", flat=True)
        )
        by_letter = Counter(x["letter"] for x in outbox)
        by_worker = Counter(x["worker"] for x in outbox)
        duplicates = sum(n - 1 for n in by_letter.values() if n > 1) + sum(
            n - 1 for n in by_worker.values() if n > 1
        )
        stray = sum(1 for pk in by_letter if pk not in letters)  # a line naming no letter of the campaign
        audience = args.letters
        missing = audience - len({pk for pk in by_letter if pk in delivered and letters[pk]})
        result = {
            "letters": len(outbox),
            "seconds": round(worked, 2),
            "letters_per_s": round(len(outbox) / worked) if worked else 0,
            "duplicates": duplicates + stray,
            "missing": missing,
            "killed_after": killed_at,
            "wall_seconds": round(wall, 2),
            "state": campaign.state,
            "database": connection.vendor,
            "batch_size": args.batch_size,
        }
        print(json.dumps(result, ensure_ascii=False))
        return 0 if (duplicates + stray == 0 and missing == 0 and campaign.state == "done") else 1
    finally:
        if drop is not None and not args.keep:
            try:
                drop()
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop the bench database: {exc}", file=sys.stderr)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
