"""``homeward demo``: build the synthetic Cixi into the configured database and print a login per role."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from homeward.cli._django import setup_django


def _say(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def _print_logins(logins: list[Any]) -> None:
    rows = [("role", "username", "password", "scope")]
    rows += [(login.role, login.username, login.password, login.scope) for login in logins]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(r)))


def _demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    setup_django()
    if args.logins:
        from django.db import DatabaseError

        from homeward.demo.load import demo_logins

        try:
            logins = demo_logins()
        except DatabaseError:  # a database never migrated has no tables, so no demo users either
            logins = []
        if not logins:
            print("homeward demo: no demo users in this database (run homeward demo first)", file=sys.stderr)
            return 1
        _print_logins(logins)
        return 0
    from django.conf import settings
    from django.core.management import call_command

    from homeward.core.errors import DomainError
    from homeward.demo.generate import generate_city
    from homeward.demo.load import load_city

    if settings.PRODUCTION:
        # The demo signs permits with keys derived from its seed and creates users with a known
        # password: never in a production database.
        print(
            "homeward demo: refused with HOMEWARD_ENV=production (demo keys and passwords are public)",
            file=sys.stderr,
        )
        return 2
    db = settings.DATABASES["default"]
    _say(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}")
    call_command("migrate", interactive=False, verbosity=0)
    _say(f"generating the synthetic city (scale {args.scale}, seed {args.seed})")
    city = generate_city(args.scale, args.seed)
    try:
        result = load_city(city, reset=args.reset, campaign=not args.no_campaign, report=_say)
    except DomainError as exc:
        print(f"homeward demo: {exc.message}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    _say("steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    _say("counts: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))

    _print_logins(result.logins)
    if result.motion is not None:
        motion = result.motion
        print(f"campaign day {motion.summary()}")
        if motion.worker_code:
            print(
                f"demo worker's page: /w/ with code {motion.worker_code} and ID last four {motion.worker_last4}"
            )
    print(f"homeward demo: built the {args.scale}-scale city (seed {args.seed}) in {elapsed:.1f} s")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="build the synthetic city (towns, enterprises, roster, police, carrier data) and demo logins",
        description=(
            "Migrate the configured database, generate the synthetic Cixi of February 2020 and load it "
            "through the import services; then print one login per role. Refuses to run on a database "
            "that already has enterprises unless --reset is given."
        ),
    )
    demo.add_argument(
        "--scale",
        choices=("small", "city"),
        default="small",
        help="small (~6,700 workers, for tests) or city (~670,000 workers); default small",
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed; the same seed builds the same city")
    demo.add_argument(
        "--reset",
        action="store_true",
        help="delete all registry data and the demo users first (in one transaction)",
    )
    demo.add_argument(
        "--no-campaign",
        action="store_true",
        help="leave out the campaign day (planned and in motion up to now) that the demo builds by default",
    )
    demo.add_argument(
        "--logins", action="store_true", help="only print the demo logins of the database already built"
    )
    demo.set_defaults(func=_demo)
