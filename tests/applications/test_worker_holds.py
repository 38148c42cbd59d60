"""Finding "one enterprise can probe and block another's workers": an application holds only its
enterprise's roster or flagged new hires, answers the same whatever else is true of an ID, drafts
expire, and the database allows one live application per worker, also under a race."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from homeward.apps.applications import services
from homeward.apps.applications.models import ApplicationWorker, ReturnApplication
from homeward.apps.audit.models import AuditEvent
from homeward.core.errors import Conflict, DomainError
from tests.applications.conftest import GOOD_COUNTY, HEADER, csv_bytes, good_rows

pytestmark = pytest.mark.django_db


def _values(worker, **extra):
    return {
        "id_number": worker.id_number, "name": worker.name, "phone": worker.phone,
        "pickup_county": worker.origin_code, "health_code": "green", **extra,
    }  # fmt: skip


def _holds():
    return sorted(ApplicationWorker.objects.values_list("application_id", "id_number", "active", "live"))


def _refusal(actor, app, values):
    with pytest.raises(DomainError) as refused:
        services.application_worker_add(actor=actor, application_id=app.pk, values=values)
    return refused.value.status, refused.value.code, refused.value.message


def test_one_enterprise_cannot_hold_anothers_workers(enterprise_user, other_enterprise_user, workers_a):
    """B's draft refuses A's roster worker, on its own or as a "new hire"; nothing is held, and each
    refusal is audited with the ID masked."""
    draft_b = services.application_create_draft(actor=other_enterprise_user)
    before = _holds()
    plain = _refusal(other_enterprise_user, draft_b, _values(workers_a[0]))
    as_new = _refusal(
        other_enterprise_user, draft_b, _values(workers_a[0], new_hire=True, new_hire_reason="刚招的")
    )
    assert plain[1] == "not_on_roster" and as_new[1] == "unavailable"
    assert _holds() == before
    events = AuditEvent.objects.filter(action="application.hold_refused", actor=other_enterprise_user)
    assert [e.data["reason"] for e in events.order_by("pk")] == ["not_on_roster", "unavailable"]
    assert all(workers_a[0].id_number not in str(e.data) for e in events)  # masked
    # A, whose worker it is, can still take them
    draft_a = services.application_create_draft(actor=enterprise_user)
    services.application_worker_add(
        actor=enterprise_user, application_id=draft_a.pk, values=_values(workers_a[0])
    )


def test_one_enterprise_gets_one_answer_for_ids_not_on_its_roster(
    enterprise_user, other_enterprise_user, workers_a
):
    """No oracle: an ID on another roster and held by its draft, one on another roster only, and an
    unknown one get the identical answer (status, reason, message) from B, naming no application,
    enterprise or person; flagged as new hires, the two registered ones are again answered alike."""
    draft_a = services.application_create_draft(actor=enterprise_user)
    services.application_worker_add(
        actor=enterprise_user, application_id=draft_a.pk, values=_values(workers_a[0])
    )
    held, rostered = workers_a[0], workers_a[1]
    unknown = {  # on no roster (A's is good_rows(ROSTER_SIZE))
        "id_number": good_rows(1, 300)[0][0],
        "name": "路人",
        "phone": "13600000300",
        "pickup_county": GOOD_COUNTY,
        "health_code": "green",
    }
    draft_b = services.application_create_draft(actor=other_enterprise_user)
    answers = {
        _refusal(other_enterprise_user, draft_b, _values(held)),
        _refusal(other_enterprise_user, draft_b, _values(rostered)),
        _refusal(other_enterprise_user, draft_b, unknown),
    }
    assert len(answers) == 1
    ((status, code, message),) = answers
    assert code == "not_on_roster" and f"#{draft_a.pk}" not in message and "甲" not in message
    flagged = {"new_hire": True, "new_hire_reason": "新招"}
    as_new = {
        _refusal(other_enterprise_user, draft_b, _values(held, **flagged)),
        _refusal(other_enterprise_user, draft_b, _values(rostered, **flagged)),
    }
    assert len(as_new) == 1 and next(iter(as_new))[1] == "unavailable"
    assert f"#{draft_a.pk}" not in next(iter(as_new))[2]


def test_a_new_hire_needs_the_flag_and_a_reason(enterprise_user):
    """Someone not on the roster joins only as a new hire with a reason; the row keeps both."""
    app = services.application_create_draft(actor=enterprise_user)
    header = [*HEADER, "新员工", "新员工说明"]
    recruit = [good_rows(1, 200)[0][0], "新人甲", "13600000200", GOOD_COUNTY, "绿码"]
    no_reason = [good_rows(1, 201)[0][0], "新人乙", "13600000201", GOOD_COUNTY, "绿码"]
    not_flagged = [good_rows(1, 202)[0][0], "新人丙", "13600000202", GOOD_COUNTY, "绿码"]
    rows = [[*recruit, "是", "春节后新招"], [*no_reason, "是", ""], [*not_flagged, "", ""]]
    report = services.application_workers_upload(
        actor=enterprise_user, application_id=app.pk, source=io.BytesIO(csv_bytes(rows, header))
    )
    assert report["accepted"] == 1
    assert [(r["row"], r["field"], r["reason"]) for r in report["rejected"]] == [
        (3, "new_hire_reason", "required"),
        (4, "id_number", "not_on_roster"),
    ]
    row = app.workers.get()
    assert (row.name, row.new_hire, row.new_hire_reason, row.worker_id) == (
        "新人甲",
        True,
        "春节后新招",
        None,
    )


def test_a_draft_that_expires_stops_holding_its_workers(enterprise_user, workers_a, settings):
    """After HOMEWARD_DRAFT_TTL_HOURS the draft shows as expired, cannot be submitted, and its
    worker joins another application; the expiry is audited."""
    settings.HOMEWARD_DRAFT_TTL_HOURS = 72
    old = services.application_create_draft(actor=enterprise_user)
    services.application_worker_add(
        actor=enterprise_user, application_id=old.pk, values=_values(workers_a[0])
    )
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        client = Client()
        client.force_login(enterprise_user)
        assert client.get(f"/api/v1/applications/{old.pk}").json()["state"] == "expired"
        listed = client.get("/api/v1/applications", {"state": "expired"}).json()["items"]
        assert [a["id"] for a in listed] == [old.pk]
        with pytest.raises(Conflict) as refused:
            services.application_submit(actor=enterprise_user, application_id=old.pk)
        assert refused.value.code == "draft_expired"
        new = services.application_create_draft(actor=enterprise_user)
        services.application_worker_add(
            actor=enterprise_user, application_id=new.pk, values=_values(workers_a[0])
        )
    old.refresh_from_db()
    assert old.state == "expired" and not old.workers.filter(live=True).exists()
    assert new.workers.filter(live=True, id_number=workers_a[0].id_number).exists()
    assert AuditEvent.objects.filter(action="application.expire", object_id=str(old.pk)).count() == 1


def test_the_database_holds_one_live_application_per_worker(enterprise_user, workers_a):
    """A second live, active row for an ID is refused by the database itself; once the first
    application is cancelled (its rows no longer live) the ID may be held again."""
    first = services.application_create_draft(actor=enterprise_user)
    services.application_worker_add(
        actor=enterprise_user, application_id=first.pk, values=_values(workers_a[0])
    )
    second = services.application_create_draft(actor=enterprise_user)
    row = first.workers.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationWorker.objects.create(
            application=second, id_number=row.id_number, name=row.name, phone=row.phone,
            pickup_county_code=row.pickup_county_code, health_code="green",
        )  # fmt: skip
    services.application_cancel(actor=enterprise_user, application_id=first.pk)
    assert not first.workers.filter(live=True).exists()
    services.application_worker_add(
        actor=enterprise_user, application_id=second.pk, values=_values(workers_a[0])
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_holds_on_one_worker_let_only_one_win(enterprise_user, workers_a, monkeypatch):
    """Two drafts add the same roster worker at once. Both pass the check before either writes (a
    barrier holds each request between its check and its write); PostgreSQL's unique index then lets
    exactly one commit and the other is answered ``unavailable``. One live row remains.

    Holds are taken when a worker joins a draft (drafts hold their workers until they expire), so
    this is the race the old check-before-the-transaction lost; submitting no longer decides it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two real connections (PostgreSQL)")
    drafts = [services.application_create_draft(actor=enterprise_user) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=30)
    from homeward.apps.applications.services import workers

    check = workers._refusals

    def check_then_wait(app, rows):
        refusals = check(app, rows)
        barrier.wait()  # both requests have checked; now both write
        return refusals

    monkeypatch.setattr(workers, "_refusals", check_then_wait)
    outcomes: list[object] = [None, None]

    def add(i: int) -> None:
        try:
            services.application_worker_add(
                actor=enterprise_user, application_id=drafts[i].pk, values=_values(workers_a[0])
            )
            outcomes[i] = "held"
        except DomainError as exc:
            outcomes[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(map(str, outcomes)) == ["held", "unavailable"]
    live = ApplicationWorker.objects.filter(id_number=workers_a[0].id_number, active=True, live=True)
    assert live.count() == 1
    assert ReturnApplication.objects.filter(pk__in=[d.pk for d in drafts]).count() == 2
