"""``manage``, ``openapi``, ``serve`` (web server and task worker, supervised) and ``worker``."""

from __future__ import annotations

import argparse
import json
import os
import sys

from homeward.cli._django import setup_django


def run_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeward.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["homeward manage", *argv])
    return 0


def _openapi(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.api import api

    schema = api.get_openapi_schema()
    print(json.dumps(schema, ensure_ascii=False, indent=2 if args.indent else None))
    return 0


# The front-end libraries ``make install`` copies from the npm registry into HOMEWARD_VENDOR_STATIC:
# (name, file under the vendor directory, what goes missing without it).
VENDOR_FILES = (
    ("ECharts", "echarts/echarts.min.js", "maps and charts will be empty"),
    ("jsQR", "jsqr/jsQR.js", "the permit verification page cannot read QR codes from the camera"),
)


def _warn_missing_vendor() -> None:
    """Say which front-end library is missing from HOMEWARD_VENDOR_STATIC; the pages work without
    them, less their maps or the QR scanner."""
    from django.conf import settings

    for name, path, loss in VENDOR_FILES:
        if not (settings.VENDOR_STATIC_DIR / path).is_file():
            print(
                f"homeward serve: {name} not found in {settings.VENDOR_STATIC_DIR}/{path.split('/')[0]} — "
                f"{loss}; run `make install` (or set HOMEWARD_VENDOR_STATIC)",
                file=sys.stderr,
            )


def development_public_url(host: str, port: int) -> str:
    """Where the links and QR codes this server prints (a worker's one-time link, a ticket, a permit)
    lead when ``HOMEWARD_PUBLIC_URL`` is not set: the address it serves on. Production keeps its own
    default (https on its first allowed host). A link to port 8000 from a server on 8010 was dead."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def _serve(args: argparse.Namespace) -> int:
    """Migrate, collect static files, then run the web server and the task worker side by side,
    restarting the worker when it dies (``cli.supervise``)."""
    if os.environ.get("HOMEWARD_ENV", "development") != "production":  # production derives its own
        os.environ.setdefault("HOMEWARD_PUBLIC_URL", development_public_url(args.host, args.port))
    setup_django()
    from django.core.management import call_command

    from homeward.cli.supervise import Child, Supervisor

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    _warn_missing_vendor()
    os.environ["HOMEWARD_STATIC_FINDERS"] = "0"  # the web server serves what was just collected
    children: list[Child] = []
    if not args.no_worker:
        children.append(Child("task worker", [sys.executable, "-m", "homeward", "worker"], restart=True))
    web = [
        sys.executable, "-m", "gunicorn", "homeward.wsgi:application",
        "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers), "--threads", "4",
        "--timeout", "120",
        # No gunicorn access log: it would print query strings (names, ID numbers in searches);
        # homeward.request logs each request without them.
    ]  # fmt: skip
    children.append(Child("web server", web, restart=False))
    supervisor = Supervisor(children)
    supervisor.install_signals()
    print(f"Homeward is serving http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    return supervisor.run()


def _worker(args: argparse.Namespace) -> int:
    """The task worker alone (``homeward serve`` runs one itself)."""
    setup_django()
    from django.core.management import call_command

    call_command("task_worker", interval=args.interval)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    manage = subparsers.add_parser("manage", help="run a Django management command (homeward manage help)")
    manage.set_defaults(func=lambda _args: run_manage(["help"]))

    openapi = subparsers.add_parser("openapi", help="print the OpenAPI schema of /api/v1/ as JSON")
    openapi.add_argument("--indent", action="store_true", help="pretty-print")
    openapi.set_defaults(func=_openapi)

    serve = subparsers.add_parser("serve", help="serve the web app and run the task worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="web server processes")
    serve.add_argument("--no-worker", action="store_true", help="do not start the task worker")
    serve.set_defaults(func=_serve)

    worker = subparsers.add_parser(
        "worker",
        help="run the task worker (imports, heat-map rebuilds, plans); `homeward serve` starts one",
        description=(
            "Run queued background tasks. Beats a heartbeat (seen by /healthz), fails runs whose worker "
            "died as abandoned, and waits out a locked or unreachable database. Options of Django's "
            "worker: homeward manage task_worker --help."
        ),
    )
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls of an empty queue")
    worker.set_defaults(func=_worker)
