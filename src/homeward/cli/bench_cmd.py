"""``homeward bench import --rows N``: how fast does a roster import run, against a per-row baseline.

Generates a roster CSV (valid IDs from real county codes, a few hundred enterprises with valid
USCCs, the city's towns), imports it through ``roster_import`` into a FRESH database (a temporary
SQLite file, or a new PostgreSQL database created next to ``--database-url``), then in the same run
imports a slice of new rows one by one through the ORM (get_or_create / update_or_create) as the
baseline. Prints rows/s for both, the ratio and the peak RSS, then one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_ORIGIN_PROVINCES = ("52", "34", "41", "51", "36", "43", "42", "53", "50", "45")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉建国志红梅林婷雪"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _origin_codes(rng: random.Random) -> list[str]:
    """County codes that make valid IDs for birth years 1965–2004, weighted towards DESIGN §4's
    origin provinces."""
    from homeward.core import regions
    from homeward.core.identity import inspect_ric, ric_check_char

    candidates = [
        r.code for r in regions.all_regions() if r.code[:2] in _ORIGIN_PROVINCES and regions.is_county(r.code)
    ]
    good = []
    for code in candidates:
        ok = True
        for year in (1965, 2004):
            first17 = f"{code}{year}0101001"
            if not inspect_ric(first17 + ric_check_char(first17)).valid:
                ok = False
                break
        if ok:
            good.append(code)
    rng.shuffle(good)
    return good[:300]


def _usccs(rng: random.Random, count: int) -> list[str]:
    from homeward.core.identity import USCC_CHARS, uscc_check_char

    out: set[str] = set()
    while len(out) < count:
        first17 = "91330282" + "".join(rng.choice(USCC_CHARS) for _ in range(9))
        out.add(first17 + uscc_check_char(first17))
    return sorted(out)


class RosterGenerator:
    """Deterministic synthetic roster rows; IDs never repeat within one generator."""

    HEADERS = ("统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期")

    def __init__(self, seed: int = 7, enterprises: int = 400) -> None:
        from homeward.core import regions
        from homeward.core.identity import ric_check_char

        self._check = ric_check_char
        self.rng = random.Random(seed)
        self.origins = _origin_codes(self.rng)
        self.weights = [1.0 / (i + 1) ** 0.7 for i in range(len(self.origins))]
        self.towns = self._town_names()
        usccs = _usccs(self.rng, enterprises)
        city = regions.short_name(regions.require(regions.DEMO_CITY_CODE).name)
        self.enterprises = [
            (
                u,
                f"{city}{self.rng.choice(_SURNAMES)}{self.rng.choice(_GIVEN)}{i:03d}电器有限公司",
                self.towns[i % len(self.towns)],
            )
            for i, u in enumerate(usccs)
        ]
        self.ent_weights = [1.0 / (i + 1) ** 0.9 for i in range(len(self.enterprises))]
        self.seen: set[str] = set()
        self.insured = [date(2012, 1, 1) + timedelta(days=d) for d in range(0, 3000, 3)]

    @staticmethod
    def _town_names() -> list[str]:
        from homeward.core import regions

        return [t.name for t in regions.towns()]

    def rows(self, count: int) -> Iterator[list[str]]:
        rng = self.rng
        origins = rng.choices(self.origins, self.weights, k=count)
        ents = rng.choices(self.enterprises, self.ent_weights, k=count)
        base = date(1965, 1, 1).toordinal()
        for i in range(count):
            while True:
                born = date.fromordinal(base + rng.randrange(14_600)).strftime("%Y%m%d")
                first17 = f"{origins[i]}{born}{rng.randrange(1000):03d}"
                number = first17 + self._check(first17)
                if number not in self.seen:
                    self.seen.add(number)
                    break
            uscc, ent_name, town = ents[i]
            if i % 7 == 0:  # some rosters write the town without its 街道/镇 suffix
                town = town.removesuffix("街道").removesuffix("镇")
            name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            yield [uscc, ent_name, town, number, name, phone, rng.choice(self.insured).isoformat()]

    def write_csv(self, path: Path, count: int) -> None:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.HEADERS)
            writer.writerows(self.rows(count))


def _fresh_database(url: str | None, workdir: Path) -> tuple[str, Any]:
    """DATABASE_URL of a new empty database and a function that drops it afterwards."""
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    import psycopg
    from psycopg import sql

    name = f"homeward_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = url.rpartition("/")
    query = ""
    if "?" in url.rpartition("/")[2]:
        query = "?" + url.rpartition("?")[2]

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return f"{base}/{name}{query}", drop


def _baseline(rows: list[list[str]], today: date) -> float:
    """Per-row ORM import of ``rows`` (same validation, one transaction): rows/s."""
    from django.db import transaction

    from homeward.apps.registry.models import Enterprise, RosterMembership, Town, Worker
    from homeward.core.ingest import RosterRecord, TownMatcher, rows_from_dicts, validate_roster

    headers = RosterGenerator.HEADERS
    start = time.perf_counter()
    towns = TownMatcher(Town.objects.values_list("name", "id"))
    source = ((n, dict(zip(headers, row, strict=True))) for n, row in enumerate(rows, start=2))
    with transaction.atomic():
        for rec in validate_roster(rows_from_dicts(source, "roster"), towns=towns, today=today):
            if not isinstance(rec, RosterRecord):
                continue
            enterprise, created = Enterprise.objects.get_or_create(
                uscc=rec.uscc, defaults={"name": rec.enterprise_name, "town_id": rec.town_id}
            )
            if not created and (enterprise.name, enterprise.town_id) != (rec.enterprise_name, rec.town_id):
                enterprise.name, enterprise.town_id = rec.enterprise_name, rec.town_id
                enterprise.save(update_fields=["name", "town"])
            worker, _ = Worker.objects.update_or_create(
                id_number=rec.id_number,
                defaults={
                    "name": rec.name,
                    "phone": rec.phone,
                    "origin_code": rec.origin_code,
                    "birth_date": rec.birth_date,
                    "employer": enterprise,
                },
            )
            RosterMembership.objects.update_or_create(
                worker=worker, enterprise=enterprise, defaults={"insured_since": rec.insured_since}
            )
    return len(rows) / (time.perf_counter() - start)


def _bench_import(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="homeward-bench-"))
    drop = None
    try:
        db_url, drop = _fresh_database(args.database_url or os.environ.get("DATABASE_URL"), workdir)
        os.environ["DATABASE_URL"] = db_url
        os.environ["HOMEWARD_DATA_DIR"] = str(workdir / "var")
        os.environ["HOMEWARD_MEDIA_ROOT"] = str(workdir / "var" / "media")
        from homeward.cli._django import setup_django

        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from homeward.apps.accounts.policy import BENCH
        from homeward.apps.registry.models import RosterMembership, Worker
        from homeward.apps.registry.services import roster_import
        from homeward.apps.registry.services.city import city_setup
        from homeward.core import regions

        call_command("migrate", interactive=False, verbosity=0)
        vendor = connection.vendor
        gen = RosterGenerator(seed=args.seed)
        city_setup(actor=BENCH, code=regions.DEMO_CITY_CODE)  # the synthetic roster's towns
        csv_path = workdir / "roster.csv"
        t0 = time.perf_counter()
        gen.write_csv(csv_path, args.rows)
        baseline_rows = list(gen.rows(args.baseline_rows))
        gen.seen.clear()
        gen_seconds = time.perf_counter() - t0
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} roster rows ({size_mb:.1f} MB CSV) in {gen_seconds:.1f}s; database: {vendor}"
        )

        today = date.today()
        t0 = time.perf_counter()
        report = roster_import(actor=BENCH, source=csv_path, today=today)
        seconds = time.perf_counter() - t0
        rate = args.rows / seconds
        counts = report.counts()
        print(
            f"bulk import:      {args.rows:,} rows in {seconds:.2f}s = {rate:,.0f} rows/s  "
            f"(accepted {counts['accepted']:,}, updated {counts['updated']:,}, rejected {counts['rejected']:,})"
        )
        result: dict[str, Any] = {
            "database": vendor,
            "rows": args.rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rate),
            "report": counts,
        }
        if not args.no_reimport:
            t0 = time.perf_counter()
            again = roster_import(actor=BENCH, source=csv_path, today=today)
            re_seconds = time.perf_counter() - t0
            print(
                f"re-import:        {args.rows:,} rows in {re_seconds:.2f}s = {args.rows / re_seconds:,.0f} rows/s  "
                f"(unchanged {again.unchanged:,}, writes {again.accepted + again.updated})"
            )
            result["reimport_rows_per_s"] = round(args.rows / re_seconds)
            result["reimport_unchanged"] = again.unchanged
        workers_before = Worker.objects.count()
        base_rate = _baseline(baseline_rows, today)
        assert Worker.objects.count() == workers_before + len(baseline_rows)
        print(
            f"per-row baseline: {len(baseline_rows):,} rows = {base_rate:,.0f} rows/s (ORM get_or_create/update_or_create)"
        )
        ratio = rate / base_rate
        peak = _rss_mb()
        print(f"speed-up:         {ratio:.1f}x")
        print(f"peak RSS:         {peak:,.0f} MB")
        print(f"tables: workers {Worker.objects.count():,}, memberships {RosterMembership.objects.count():,}")
        result.update(
            baseline_rows=len(baseline_rows),
            baseline_rows_per_s=round(base_rate),
            ratio=round(ratio, 1),
            peak_rss_mb=round(peak),
            target_met=rate >= 20_000 and peak < 2048,
        )
        print(json.dumps(result, ensure_ascii=False))
        return 0
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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks (homeward bench import --rows 700000)")
    bench_sub = bench.add_subparsers(dest="bench", metavar="BENCH", required=True)
    imp = bench_sub.add_parser("import", help="roster import throughput against a per-row ORM baseline")
    imp.add_argument("--rows", type=int, default=700_000, help="roster rows to generate and import")
    imp.add_argument("--baseline-rows", type=int, default=5_000, help="rows imported one by one (baseline)")
    imp.add_argument(
        "--database-url",
        help="a PostgreSQL server URL: a fresh database is created next to it and dropped afterwards "
        "(default: a temporary SQLite file)",
    )
    imp.add_argument("--seed", type=int, default=7)
    imp.add_argument("--no-reimport", action="store_true", help="skip timing a second, unchanged import")
    imp.add_argument("--keep", action="store_true", help="keep the temporary files and database")
    imp.set_defaults(func=_bench_import)

    from homeward.cli import bench_heatmap, plan_cmds

    heat = bench_sub.add_parser(
        "heatmap", help="heat-map fusion on DuckDB (or PySpark) against a pandas baseline"
    )
    bench_heatmap.add_arguments(heat)
    heat.set_defaults(func=bench_heatmap.run_bench_heatmap)
    from homeward.cli import bench_command

    command = bench_sub.add_parser(
        "command", help="one poll of the command dashboard at city scale: time, queries, bytes"
    )
    bench_command.add_arguments(command)
    command.set_defaults(func=bench_command.run_bench_command)
    plan = bench_sub.add_parser(
        "plan", help="plan a ~15,000-worker campaign day against the per-enterprise baseline"
    )
    plan_cmds.add_bench_plan_arguments(plan)
    plan.set_defaults(func=plan_cmds.run_bench_plan)
