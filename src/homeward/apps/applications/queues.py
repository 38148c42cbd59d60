"""Work lists at city scale: the application list and the departments' task queues, searched,
filtered, sorted by the 30-hour clock and paged with true totals.

- Search ``q``: an application number (``123`` or ``#123``), part of the enterprise's name, or part
  of a plate (a vehicle of the plan in force, or a dispatched one, that the application's workers
  ride, or a road pass of the application).
- Filters: the application's state as shown (``selectors.application_list``), and ``due``: ``soon``
  (the deadline within ``clock.WARN_BEFORE``, overdue included), ``overdue`` or ``at_risk`` (the
  planner says the deadline cannot be met).
- Order: the application list puts first what waits for acceptance (the clock starts then), then the
  running clocks, soonest deadline first, then drafts, then closed applications, newest first; a
  queue of open tasks is soonest deadline first (``sort="new"``: newest accepted first), done tasks
  latest done first.

Scope is the policy's (``selectors.application_list`` and ``selectors.task_queue``): a department
sees its own department's tasks, an enterprise its own applications. Pages are ``PAGE_SIZE`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from homeward.apps.accounts.policy import actionable
from homeward.apps.applications import selectors
from homeward.apps.applications.clock import WARN_BEFORE
from homeward.apps.applications.models import (
    TASKS_WORKABLE_IN,
    ApplicationState,
    ApplicationWorker,
    DepartmentTask,
    Permit,
    ReturnApplication,
)
from homeward.apps.planning.models import PlanRun, PlanSeat

PAGE_SIZE = 50
DUE_CHOICES = ("soon", "overdue", "at_risk")
SORT_CHOICES = ("deadline", "new")
MAX_QUERY = 60  # longer search text is cut (no enterprise name or plate is longer)
RUNNING = (ApplicationState.ACCEPTED, ApplicationState.PLANNED, ApplicationState.IN_TRANSIT)


@dataclass(frozen=True, slots=True)
class Filters:
    """What a list page or endpoint was asked for, cleaned: unknown values are dropped."""

    q: str = ""
    state: str = ""
    due: str = ""
    sort: str = "deadline"

    @classmethod
    def of(cls, params: Any, *, state: str = "") -> Filters:
        """From a ``request.GET``-like mapping; ``state`` is the default state."""
        due = str(params.get("due", "") or "")
        sort = str(params.get("sort", "") or "")
        return cls(
            q=clean_query(str(params.get("q", "") or "")),
            state=str(params.get("state", state) or ""),
            due=due if due in DUE_CHOICES else "",
            sort=sort if sort in SORT_CHOICES else "deadline",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.due)


def clean_query(q: str) -> str:
    """Search text as typed, trimmed and cut to ``MAX_QUERY``; NUL characters (which PostgreSQL
    refuses in a string) dropped."""
    return q.replace("\x00", "").strip()[:MAX_QUERY]


def _number(q: str) -> int | None:
    digits = q.removeprefix("#").strip()
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


def application_match(q: str, prefix: str = "") -> Q:
    """Applications (reached through ``prefix``, e.g. ``"case__application__"``) matching ``q``: its
    number, part of its enterprise's name, or part of a plate it travels under."""
    q = clean_query(q)
    if not q:
        return Q()
    app_ref = OuterRef(f"{prefix}pk" if prefix else "pk")
    # a plate of the plan in force, or of a vehicle already on the road (re-plans keep those)
    in_force = PlanRun.objects.in_force_first().values("pk")[:1]
    current = Q(run_id=Subquery(in_force)) | Q(vehicle__dispatch__isnull=False)
    seated = PlanSeat.objects.filter(current, application_id=app_ref, vehicle__name__icontains=q)
    road_pass = Permit.objects.filter(application_id=app_ref, payload__plate__icontains=q)
    by_plate = Exists(seated) | Exists(road_pass)
    match = Q(**{f"{prefix}enterprise__name__icontains": q}) | Q(by_plate)
    number = _number(q)
    if number is not None:
        match |= Q(**{f"{prefix}pk": number})
    return match


def number_first(q: str, prefix: str = "") -> list[Case]:
    """Order first by whether the application's number is the query itself: ``12`` finds #12 at the
    top, not after every application whose plate or name merely contains 12."""
    number = _number(clean_query(q))
    if number is None:
        return []
    exact = When(**{f"{prefix}pk": number}, then=Value(0))
    return [Case(exact, default=Value(1), output_field=IntegerField())]


def due_match(due: str, prefix: str = "", now: datetime | None = None) -> Q:
    """Applications (through ``prefix``) whose running clock is due soon, overdue, or at risk."""
    if due not in DUE_CHOICES:
        return Q()
    running = Q(**{f"{prefix}state__in": RUNNING})
    if due == "at_risk":
        return running & Q(**{f"{prefix}at_risk": True})
    now = now or timezone.now()
    limit = now if due == "overdue" else now + WARN_BEFORE
    return running & Q(**{f"{prefix}deadline_at__lte": limit})


def _clock_rank() -> Case:
    expired = Q(state=ApplicationState.DRAFT, expires_at__lte=timezone.now())
    return Case(
        When(state=ApplicationState.SUBMITTED, then=Value(0)),
        When(state__in=RUNNING, then=Value(1)),
        When(Q(state=ApplicationState.DRAFT) & ~expired, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def application_search(*, actor: Any, filters: Filters) -> QuerySet[ReturnApplication]:
    """The actor's applications matching ``filters``, in clock order (see the module docstring).
    Without worker counts: ``application_page`` adds them to the page's rows only."""
    qs = selectors.applications_in_state(actor=actor, state=filters.state)
    qs = qs.filter(application_match(filters.q), due_match(filters.due))
    return qs.annotate(clock_rank=_clock_rank()).order_by(
        *number_first(filters.q),
        "clock_rank",
        Case(
            When(state__in=RUNNING, then=F("deadline_at")),
            When(state=ApplicationState.SUBMITTED, then=F("submitted_at")),
            default=None,
        ).asc(nulls_last=True),
        "-pk",
    )


def task_search(*, actor: Any, filters: Filters) -> QuerySet[DepartmentTask]:
    """The actor's tasks (its queue, ``selectors.task_queue``) matching ``filters``; open tasks in
    clock order (or newest accepted first), done tasks latest first; ``state=""``: every task."""
    state = filters.state  # "": every state
    prefix = "case__application__"
    qs = selectors.task_queue(actor=actor, state=state)
    qs = qs.filter(application_match(filters.q, prefix), due_match(filters.due, prefix))
    first = number_first(filters.q, prefix)
    if state == DepartmentTask.State.DONE:
        return qs.order_by(*first, F("done_at").desc(nulls_last=True), "-pk")
    if filters.sort == "new":
        return qs.order_by(*first, F(f"{prefix}accepted_at").desc(nulls_last=True), "-pk")
    return qs.order_by(*first, F(f"{prefix}deadline_at").asc(nulls_last=True), "pk")


def page_of[M: Any](qs: QuerySet[M], number: Any, size: int = PAGE_SIZE) -> Page[M]:
    """Page ``number`` (1-based; anything unreadable or out of range is the nearest page) of ``qs``,
    with its true total (``page.paginator.count``)."""
    return Paginator(qs, size, allow_empty_first_page=True).get_page(number)


def application_page(*, actor: Any, filters: Filters, number: Any) -> Page[ReturnApplication]:
    """One page of ``application_search``, each row with ``worker_count`` (active rows), counted
    for the page's rows only (one query, however long the list)."""
    page = page_of(application_search(actor=actor, filters=filters), number)
    rows = list(page.object_list)
    counts = dict(
        ApplicationWorker.objects.filter(application__in=[a.pk for a in rows], active=True)
        .values_list("application_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )
    for app in rows:
        app.worker_count = counts.get(app.pk, 0)  # type: ignore[attr-defined]
    page.object_list = rows
    return page


def permits_to_sign_search(*, actor: Any, q: str = "") -> QuerySet[Permit]:
    """``selectors.permits_to_sign`` narrowed by the same search: an application's permit by its
    number, enterprise or plate; a plan bus's road pass by its plate."""
    qs = selectors.permits_to_sign(actor=actor)
    q = clean_query(q)
    if not q:
        return qs
    match = (
        Q(application__enterprise__name__icontains=q)
        | Q(plan_vehicle__name__icontains=q)
        | Q(payload__plate__icontains=q)
    )
    number = _number(q)
    if number is not None:
        match |= Q(application_id=number)
    return qs.filter(match)


# The application states in which its tasks can be completed (``department_task_complete``).


def tasks_to_complete(*, actor: Any, app: ReturnApplication) -> list[DepartmentTask]:
    """The application's open tasks the actor may complete (its department's; the task force all),
    for the forms on the case page: the same service completes them as from the queue."""
    if app.state not in TASKS_WORKABLE_IN:
        return []
    open_tasks = selectors.TASKS.filter(case__application=app, state=DepartmentTask.State.OPEN)
    return list(actionable(actor, "task.complete", open_tasks).order_by("pk"))
