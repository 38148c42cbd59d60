"""Reads of the registries, always scoped to what the actor's role and ownership allow.

An enterprise user sees only its own enterprise; a town officer only the town's; a service team only
workers from its province. Roles with no business in a registry get an empty queryset, not an error,
so lists render empty rather than leak.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from homeward.apps.accounts.roles import CITY_WIDE_ROLES, Role, profile_of
from homeward.apps.registry.models import Enterprise, Town, Worker
from homeward.apps.registry.personal_data import PersonOut, person_reveal, require_id_search


def enterprises_visible(*, actor: Any) -> QuerySet[Enterprise]:
    profile = profile_of(actor)
    qs = Enterprise.objects.select_related("town")
    if profile is None:
        return qs.none()
    if profile.role in CITY_WIDE_ROLES:
        return qs
    if profile.role == Role.TOWN:
        return qs.filter(town_id=profile.town_id)
    if profile.role == Role.ENTERPRISE:
        return qs.filter(pk=profile.enterprise_id)
    return qs.none()


def workers_visible(*, actor: Any) -> QuerySet[Worker]:
    profile = profile_of(actor)
    qs = Worker.objects.select_related("employer", "employer__town")
    if profile is None:
        return qs.none()
    if profile.role in CITY_WIDE_ROLES:
        return qs
    if profile.role == Role.TOWN:
        return qs.filter(employer__town_id=profile.town_id)
    if profile.role == Role.ENTERPRISE:
        return qs.filter(employer_id=profile.enterprise_id)
    if profile.role == Role.SERVICE_TEAM and profile.province_code:
        return qs.filter(origin_code__startswith=profile.province_code[:2])
    return qs.none()


def enterprise_list(
    *, actor: Any, town: str = "", search: str = "", key_only: bool = False
) -> QuerySet[Enterprise]:
    """Enterprises with their roster counts (workers on the roster, back, away); key enterprises first."""
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
    worker = workers_visible(actor=actor).filter(pk=worker_id).first()
    return person_reveal(actor=actor, record=worker, object_type="worker", object_id=worker_id)


def town_list() -> QuerySet[Town]:
    return Town.objects.order_by("code")


def registry_stats(*, actor: Any) -> dict[str, int]:
    """Headline counts within the actor's scope, in two queries."""
    by_status = dict(
        workers_visible(actor=actor)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "enterprises": enterprises_visible(actor=actor).count(),
        "workers": sum(by_status.values()),
        "returned": by_status.get(Worker.Status.RETURNED, 0),
        "away": by_status.get(Worker.Status.AWAY, 0),
    }
