"""``homeward setup --city CODE``: set up the home city (towns, arrival stations, coach base, names).

Exit status 0 when the city is set up (also when a second run changed nothing), 2 when the code is
refused (unknown, not county-level, or another city already in use).
"""

from __future__ import annotations

import argparse
import sys

from homeward.cli._django import setup_django


def _setup(args: argparse.Namespace) -> int:
    from homeward.core.errors import DomainError

    setup_django()
    from django.core.management import call_command

    from homeward.apps.accounts.policy import CLI
    from homeward.apps.registry.services.city import city_setup, county_for_setup

    try:
        county_for_setup(args.city)  # refuse a bad code before touching the database
        call_command("migrate", interactive=False, verbosity=0)
        report = city_setup(
            actor=CLI, code=args.city, display_name=args.display_name, organiser=args.organiser
        )
    except DomainError as exc:
        print(f"homeward setup: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    city = report.city
    if report.changed:
        print(f"homeward setup: {city.full_name} ({city.code}) set up:")
        for change in report.changes:
            print(f"  - {change}")
    else:
        print(f"homeward setup: {city.full_name} ({city.code}) is already set up; nothing changed.")
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.town_kinds.items()))
    print(f"  display name: {city.display_name}; organiser: {city.organiser}")
    print(f"  coach base (the city's point, WGS84): {city.lat:.5f}, {city.lon:.5f}")
    print(
        f"  towns: {report.towns} ({kinds}); "
        f"{report.towns_approximate} placed at the county's point (approximate: no source locates them)"
    )
    print(
        "  arrival stations, nearest first: "
        + ", ".join(f"{s.name} {s.telecode} {s.distance_km:g} km" for s in report.stations)
        + " (edit them in the admin: 到达车站)"
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "setup",
        help="set up the home city by its county-level code: towns, arrival stations, coach base",
        description=(
            "Migrate the configured database and record the city this installation serves, by its "
            "county-level code (e.g. 330782 义乌市, 320583 昆山市, 441900 东莞市): its towns "
            "and streets from the national township list, its arrival stations from the curated table "
            "(nearest first), its point as the coach base, its display name and the organiser named on "
            "permits. Running it again changes nothing. Exit status 2 when the code is refused."
        ),
    )
    parser.add_argument("--city", required=True, metavar="CODE", help="county-level code, e.g. 330782")
    parser.add_argument("--display-name", help="name in page titles (default: the city's name)")
    parser.add_argument("--organiser", help="the organiser on permits (default: <city>企业复工复产返岗专班)")
    parser.set_defaults(func=_setup)
