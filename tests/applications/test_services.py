"""Services: upload with row errors, submit once, accept opens the case, tasks draft permits,
co-signing issues them, revocation, tracked changes after acceptance."""

from __future__ import annotations

import io

import pytest

from homeward.apps.applications import services
from homeward.apps.applications.models import ApplicationWorker, DepartmentTask, Permit, RevocationList
from homeward.apps.audit.models import AuditEvent
from homeward.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from tests.applications.conftest import GOOD_COUNTY, HEADER, csv_bytes, good_rows, task_of

pytestmark = pytest.mark.django_db


def _upload(actor, app, rows, header=HEADER):
    return services.application_workers_upload(
        actor=actor, application_id=app.pk, source=io.BytesIO(csv_bytes(rows, header))
    )


def test_it_reports_each_bad_row_and_keeps_the_good_ones(enterprise_user):
    from homeward.apps.registry.models import CountyRisk

    CountyRisk.objects.create(county_code="341221", level="high")
    app = services.application_create_draft(actor=enterprise_user)
    good = good_rows(2)
    bad_id = [
        good[0][0][:-1] + ("0" if good[0][0][-1] != "0" else "1"),
        "李一",
        "13900000001",
        GOOD_COUNTY,
        "绿",
    ]
    rows = [
        *good,
        bad_id,
        [good_rows(1, 10)[0][0], "李二", "12345", GOOD_COUNTY, "绿"],
        [good_rows(1, 11)[0][0], "李三", "13900000003", "999999", "绿"],
        [good_rows(1, 12)[0][0], "李四", "13900000004", GOOD_COUNTY, "黄码"],
        [good_rows(1, 13)[0][0], "李五", "13900000005", "341221", "green"],
        good[1],
    ]
    report = _upload(enterprise_user, app, rows)
    assert report["accepted"] == 2
    reasons = [(r["row"], r["field"], r["reason"]) for r in report["rejected"]]
    assert reasons == [
        (4, "id_number", "checksum"),
        (5, "phone", "phone"),
        (6, "pickup_county", "unknown_county"),
        (7, "health_code", "health_code"),
        (8, "pickup_county", "high_risk"),
        (9, "id_number", "duplicate_in_file"),
    ]
    assert app.workers.count() == 2


def test_uploading_two_corrected_rows_no_longer_replaces_the_eight_good_ones(enterprise_user):
    """#12: a re-upload merges by ID number. Two corrected rows update their workers, a new row
    adds one, the other workers stay, and the result says so."""
    app = services.application_create_draft(actor=enterprise_user)
    eight = good_rows(8)
    _upload(enterprise_user, app, eight)
    corrected = [
        [eight[0][0], "王零改", *eight[0][2:]],
        [eight[1][0], eight[1][1], "13900009999", *eight[1][3:]],
    ]
    report = _upload(enterprise_user, app, [*corrected, *good_rows(1, 20)])
    assert (report["added"], report["updated"], report["unchanged"], report["kept"]) == (1, 2, 0, 6)
    assert app.workers.filter(active=True).count() == 9
    by_id = {w.id_number: w for w in app.workers.all()}
    assert by_id[eight[0][0]].name == "王零改" and by_id[eight[1][0]].phone == "13900009999"
    event = AuditEvent.objects.filter(action="application.upload").latest("pk")
    assert (event.data["added"], event.data["updated"], event.data["kept"]) == (1, 2, 6)


def test_re_uploading_the_same_file_changes_nothing(enterprise_user):
    app = services.application_create_draft(actor=enterprise_user)
    _upload(enterprise_user, app, good_rows(3))
    report = _upload(enterprise_user, app, good_rows(3))
    assert (report["added"], report["updated"], report["unchanged"], report["kept"]) == (0, 0, 3, 0)
    assert app.workers.count() == 3


def test_it_refuses_a_file_without_the_columns(enterprise_user):
    app = services.application_create_draft(actor=enterprise_user)
    with pytest.raises(DomainError) as exc:
        _upload(enterprise_user, app, [["x"]], header=["身份证号", "姓名"])
    assert exc.value.code == "missing_column"


def test_it_rejects_a_worker_already_in_another_live_application(draft, enterprise_user):
    other = services.application_create_draft(actor=enterprise_user)
    report = _upload(enterprise_user, other, good_rows(1))
    assert [r["reason"] for r in report["rejected"]] == ["already_applied"]


def test_it_submits_once_with_the_same_idempotency_key(draft, enterprise_user):
    first = services.application_submit(actor=enterprise_user, application_id=draft.pk, idempotency_key="abc")
    again = services.application_submit(actor=enterprise_user, application_id=draft.pk, idempotency_key="abc")
    assert first.pk == again.pk and again.state == "submitted" and again.submitted_at == first.submitted_at
    assert AuditEvent.objects.filter(action="application.submit", object_id=str(draft.pk)).count() == 1
    with pytest.raises(Conflict):
        services.application_submit(actor=enterprise_user, application_id=draft.pk, idempotency_key="other")


def test_it_refuses_to_submit_an_empty_list(enterprise_user):
    app = services.application_create_draft(actor=enterprise_user)
    with pytest.raises(DomainError) as exc:
        services.application_submit(actor=enterprise_user, application_id=app.pk)
    assert exc.value.code == "no_workers"


def test_it_accepts_once_and_opens_the_case(submitted, town_officer, taskforce):
    app = services.application_accept(actor=town_officer, application_id=submitted.pk)
    assert app.state == "accepted" and app.deadline_at is not None
    assert (app.deadline_at - app.accepted_at).total_seconds() == 30 * 3600
    kinds = sorted(DepartmentTask.objects.filter(case__application=app).values_list("kind", flat=True))
    assert kinds == ["escort_kit_checks", "landing_handover", "list_check_subsidy", "vehicle_route_pass"]
    with pytest.raises(Conflict):
        services.application_accept(actor=taskforce, application_id=submitted.pk)
    assert DepartmentTask.objects.filter(case__application=app).count() == 4


def test_another_town_cannot_accept(submitted, other_town_officer):
    with pytest.raises(NotFound):
        services.application_accept(actor=other_town_officer, application_id=submitted.pk)
    assert AuditEvent.objects.filter(action="denied.application.accept", actor=other_town_officer).exists()


def test_changes_after_acceptance_are_tracked(accepted, enterprise_user):
    row = accepted.workers.filter(active=True).first()
    new_values = {
        "id_number": good_rows(1, 40)[0][0],
        "name": "赵六",
        "phone": "13700000000",
        "pickup_county": GOOD_COUNTY,
        "health_code": "绿",
    }
    new = services.application_worker_replace(
        actor=enterprise_user, application_id=accepted.pk, row_id=row.pk, values=new_values
    )
    row.refresh_from_db()
    assert not row.active and row.removed_at is not None and row.replaced_by_id == new.pk
    services.application_worker_remove(actor=enterprise_user, application_id=accepted.pk, row_id=new.pk)
    assert ApplicationWorker.objects.filter(application=accepted).count() == 4  # nothing deleted
    assert accepted.workers.filter(active=True).count() == 2


def test_a_department_completes_only_its_own_tasks(accepted, hr_officer, transport_officer):
    transport_task = task_of(accepted, "vehicle_route_pass")
    with pytest.raises(NotFound):
        services.department_task_complete(actor=hr_officer, task_id=transport_task.pk, data={})
    hr_task = task_of(accepted, "list_check_subsidy")
    services.department_task_complete(
        actor=hr_officer, task_id=hr_task.pk, data={"government_share": 50, "enterprise_share": 50}
    )
    hr_task.refresh_from_db()
    assert hr_task.state == "done" and hr_task.done_by == hr_officer


def test_tasks_draft_permits_and_signatures_issue_them(
    permits_drafted, hr_officer, transport_officer, health_officer
):
    assert [p.permit_id for p in permits_drafted] == [
        f"PP-{permits_drafted[0].application_id}",
        f"RP-{permits_drafted[0].application_id}-1",
    ]
    road_pass = next(p for p in permits_drafted if p.kind == "road_pass")
    assert road_pass.payload["passengers"] == 3  # from the enterprise's list: nobody asks twice
    services.permit_sign(actor=hr_officer, permit_id=road_pass.pk)
    assert Permit.objects.get(pk=road_pass.pk).state == "drafted"
    with pytest.raises(Conflict):
        services.permit_sign(actor=hr_officer, permit_id=road_pass.pk)
    with pytest.raises(PermissionDenied):  # health sees the road pass (its case) but does not sign it
        services.permit_sign(actor=health_officer, permit_id=road_pass.pk)
    issued = services.permit_sign(actor=transport_officer, permit_id=road_pass.pk)
    assert issued.state == "issued" and issued.token.startswith("HW1.")
    result = services.permit_verify(issued.token)
    assert result.valid, result.detail


def test_the_task_force_revokes_and_the_list_is_signed(issued, taskforce, hr_officer):
    permit = issued[0]
    with pytest.raises(PermissionDenied):
        services.permit_revoke(actor=hr_officer, permit_id=permit.pk)
    services.permit_revoke(actor=taskforce, permit_id=permit.pk, reason="车辆更换")
    assert RevocationList.objects.get().permit_ids == [permit.permit_id]
    assert services.permit_verify(permit.token).reason == "revoked"


def test_a_rotated_key_keeps_verifying_what_it_signed(issued):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from homeward.apps.applications import keystore
    from homeward.core.permits import Department

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        new = keystore.rotate_key(Department.HR)
        assert keystore.current_key(Department.HR).kid == new.kid
        assert all(services.permit_verify(p.token).valid for p in issued)


def test_keys_file_verifies_offline(issued, tmp_path):
    from datetime import UTC, datetime

    from homeward.core.permits import load_keys_file, verify_token

    keys = load_keys_file(services.keys_file_text())
    result = verify_token(issued[0].token, keys.keyring, keys.revocations, datetime.now(UTC))
    assert result.valid


def test_private_keys_are_encrypted_at_rest(issued):
    from homeward.apps.applications.models import DepartmentKey

    for key in DepartmentKey.objects.all():
        assert key.private_key_encrypted.startswith("gAAAA")  # Fernet token


def test_cancel_closes_the_case(accepted, enterprise_user):
    services.application_cancel(actor=enterprise_user, application_id=accepted.pk)
    assert set(DepartmentTask.objects.filter(case__application=accepted).values_list("state", flat=True)) == {
        "cancelled"
    }


def test_the_task_force_moves_it_through_planned_in_transit_completed(accepted, taskforce):
    for to in ("planned", "in_transit", "completed"):
        app = services.application_transition(actor=taskforce, application_id=accepted.pk, to=to)
        assert app.state == to
    assert list(
        AuditEvent.objects.filter(object_type="application", object_id=str(accepted.pk))
        .values_list("action", flat=True)
        .order_by("pk")
    )[-3:] == ["application.planned", "application.in_transit", "application.completed"]
