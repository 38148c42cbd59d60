"""Reads of the registries, always scoped to what the actor's role and ownership allow.

The scope is the permission policy's (``accounts.policy.SCOPES``): an enterprise user sees only its
own enterprise; a town officer only the town's; a service team only workers from its province. The
lists are refused to roles with no registry (``registry.read``); the headline counts of the home
page are scoped only, so they show zeros to those roles.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from homeward.apps.accounts.policy import authorize, authorized, scoped
from homeward.apps.registry.models import (
    Enterprise,
    ExportRun,
    HomeCity,
    HomeStation,
    ImportRun,
    Town,
    Worker,
)
from homeward.apps.registry.personal_data import PersonOut, person_reveal, require_id_search
from homeward.core.errors import Conflict


def home_city() -> HomeCity | None:
    """The city this installation serves, or None before ``homeward setup``. Public: no scoping."""
    return HomeCity.objects.filter(pk=1).first()


def require_home_city() -> HomeCity:
    """Like :func:`home_city`, or Conflict ``home_city_not_set``."""
    city = home_city()
    if city is None:
        raise Conflict(
            "尚未设置本市：请专班运行 homeward setup --city 区县代码 或打开首次设置页面 "
            "(no home city yet: run homeward setup --city CODE or use the first-run page)",
            "home_city_not_set",
        )
    return city


def home_stations() -> list[HomeStation]:
    """The city's arrival stations in use, the default (nearest) first."""
    return list(HomeStation.objects.filter(active=True).order_by("rank", "name"))


def enterprises_visible(*, actor: Any) -> QuerySet[Enterprise]:
    return scoped(actor, Enterprise.objects.select_related("town"))


def workers_visible(*, actor: Any) -> QuerySet[Worker]:
    return scoped(actor, Worker.objects.select_related("employer", "employer__town"))


def enterprise_list(
    *, actor: Any, town: str = "", search: str = "", key_only: bool = False
) -> QuerySet[Enterprise]:
    """Enterprises with their roster counts (workers on the roster, back, away); key enterprises first."""
    authorize(actor, "registry.read")
    qs = enterprises_visible(actor=actor)
    if town:
        qs = qs.filter(town__code=town)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(uscc__iexact=search.strip().upper()))
    if key_only:
        qs = qs.filter(is_key=True)
    return qs.annotate(
        roster_count=Count("workers"),
        returned_count=Count("workers", filter=Q(workers__status=Worker.Status.RETURNED)),
        away_count=Count("workers", filter=Q(workers__status=Worker.Status.AWAY)),
    ).order_by("-is_key", "-roster_count", "name")


def worker_list(
    *, actor: Any, enterprise_id: int | None = None, status: str = "", search: str = ""
) -> QuerySet[Worker]:
    """The workers in the actor's scope, filtered. A search term is a name, or a full ID number for
    roles with personal-data rights (for others "is this one of yours?" would rebuild masked IDs)."""
    authorize(actor, "registry.read")
    term = search.strip()
    require_id_search(actor=actor, term=term, object_type="worker")
    qs = workers_visible(actor=actor)
    if enterprise_id:
        qs = qs.filter(employer_id=enterprise_id)
    if status:
        qs = qs.filter(status=status)
    if term:
        qs = qs.filter(Q(name=term) | Q(id_number=term.upper()))
    return qs.order_by("employer__name", "name", "pk")


def worker_reveal(*, actor: Any, worker_id: int) -> PersonOut:
    """The full ID number and phone of one worker in the actor's scope, for a role with personal-data
    rights; audited either way."""
    worker = authorized(actor, "worker.reveal", Worker.objects.all(), worker_id)
    return person_reveal(actor=actor, record=worker, object_type="worker", object_id=worker_id)


def town_list() -> QuerySet[Town]:
    return Town.objects.order_by("code")


def registry_stats(*, actor: Any, people: bool = True) -> dict[str, int]:
    """Headline counts within the actor's scope, in two queries; with ``people`` False only the
    enterprises (the workbench takes its people counts from the heat map when there is one)."""
    enterprises = enterprises_visible(actor=actor).count()
    if not people:
        return {"enterprises": enterprises}
    by_status = dict(
        workers_visible(actor=actor)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "enterprises": enterprises,
        "workers": sum(by_status.values()),
        "returned": by_status.get(Worker.Status.RETURNED, 0),
        "away": by_status.get(Worker.Status.AWAY, 0),
    }


def import_runs(*, actor: Any, limit: int = 100) -> QuerySet[ImportRun]:
    """The latest import runs, newest first (without their reports)."""
    authorize(actor, "import.read")
    return ImportRun.objects.select_related("created_by").defer("report")[:limit]


def import_run_get(*, actor: Any, run_id: int) -> ImportRun:
    return authorized(actor, "import.read", ImportRun.objects.select_related("created_by"), run_id)


def export_run_get(*, actor: Any, export_id: int) -> ExportRun:
    """The actor's own export (another's, or none, is the same 404)."""
    return authorized(actor, "registry.export", ExportRun.objects.all(), export_id)
