"""`homeward retention purge --older-than DAYS`: personal data and files of finished campaigns go,
statistics stay; audited, idempotent, with a dry run."""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from homeward.apps.accounts.policy import CLI
from homeward.apps.applications import services
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.audit.models import AuditEvent
from homeward.apps.ops.retention import PurgeCounts, retention_purge
from homeward.apps.planning.models import PlanRun, PlanVehicle
from homeward.apps.registry.models import ImportRun, PoliceArrival
from homeward.cli import main
from tests.applications.conftest import csv_bytes, good_rows

CREW = {"drivers": ["张师傅"], "escorts": ["李医生"]}


def _plan_run(media, name, finished_at):
    path = media / "plans" / f"{name}.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"manifest")
    run = PlanRun.objects.create(
        state="done", finished_at=finished_at, result_path=f"plans/{name}.json.gz", kpis={"vehicles": 1}
    )
    PlanVehicle.objects.create(
        run=run, key="B1", kind="bus", name="浙B·1", seats=50, seat_cap=25, passengers=20,
        departs=finished_at, arrives=finished_at, detail={"crew": CREW, "stops": []},
    )  # fmt: skip
    return run, path


@pytest.fixture
def campaign(accepted, taskforce, enterprise_user, settings, tmp_path, time_machine):
    """At T0: one completed application, one still in draft, an import with a rejected row, two plan
    runs, police arrivals before and inside the heat map's window. Returns T0."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HEATMAP_WINDOW_START = "2020-01-24"
    t0 = timezone.now().replace(microsecond=0)
    time_machine.move_to(t0)
    for to in ("planned", "in_transit", "completed"):
        services.application_transition(actor=taskforce, application_id=accepted.pk, to=to)
    live = services.application_create_draft(actor=enterprise_user)
    services.application_workers_upload(
        actor=enterprise_user, application_id=live.pk, source=io.BytesIO(csv_bytes(good_rows(2, start=50)))
    )
    run = ImportRun(kind="roster", state="done", finished_at=t0, rows_total=3, rows_done=3)
    run.report = {"accepted": 2, "rejected_count": 1, "rejected": [{"row": 3, "value": "330282199001011234"}]}
    run.file.save("roster.csv", ContentFile(b"id,name\n"), save=True)
    _plan_run(tmp_path / "media", "old", t0 - timedelta(hours=2))
    _plan_run(tmp_path / "media", "in-force", t0 - timedelta(hours=1))
    PoliceArrival.objects.create(id_number="33028219900101123X", arrived_on=dt.date(2019, 12, 1))
    PoliceArrival.objects.create(id_number="33028219900101124X", arrived_on=dt.date(2020, 2, 1))
    return t0


def test_it_purges_personal_data_and_files_of_finished_campaigns(
    campaign, accepted, time_machine, tmp_path, django_capture_on_commit_callbacks
):
    media = tmp_path / "media"
    completed_rows = ApplicationWorker.objects.filter(application=accepted).count()
    origins = sorted(
        ApplicationWorker.objects.filter(application=accepted).values_list("origin_code", flat=True)
    )
    live_before = list(
        ApplicationWorker.objects.exclude(application=accepted).values_list("id_number", "name", "phone")
    )
    upload = media / ImportRun.objects.get().file.name
    time_machine.move_to(campaign + timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):  # files go once the purge commits
        counts = retention_purge(actor=CLI, older_than_days=30)

    assert counts == PurgeCounts(
        application_workers=completed_rows, import_files=1, plan_results=1, plan_vehicles=1, police_arrivals=1
    )
    rows = ApplicationWorker.objects.filter(application=accepted)
    assert rows.count() == completed_rows
    for row in rows:
        assert (row.id_number, row.name, row.phone, row.health_code, row.worker_id) == (
            f"-{row.pk}",
            "",
            "",
            "",
            None,
        )
    assert sorted(rows.values_list("origin_code", flat=True)) == origins
    assert list(
        ApplicationWorker.objects.exclude(application=accepted).values_list("id_number", "name", "phone")
    ) == (live_before)
    run = ImportRun.objects.get()
    assert (run.file.name, run.report) == ("", {"accepted": 2, "rejected_count": 1})
    assert not upload.exists()
    old, in_force = PlanRun.objects.order_by("finished_at")
    assert (old.result_path, old.kpis) == ("", {"vehicles": 1}) and not (media / "plans/old.json.gz").exists()
    assert in_force.result_path and (media / in_force.result_path).exists()
    assert "crew" not in PlanVehicle.objects.get(run=old).detail
    assert PlanVehicle.objects.get(run=in_force).detail["crew"] == CREW
    assert list(PoliceArrival.objects.values_list("arrived_on", flat=True)) == [dt.date(2020, 2, 1)]
    event = AuditEvent.objects.get(action="retention.purge")
    assert (event.actor_label, event.data["application_workers"], event.data["older_than_days"]) == (
        "cli", completed_rows, 30
    )  # fmt: skip


def test_a_second_run_finds_nothing(campaign, time_machine):
    time_machine.move_to(campaign + timedelta(days=31))
    retention_purge(actor=CLI, older_than_days=30)
    assert retention_purge(actor=CLI, older_than_days=30) == PurgeCounts(0, 0, 0, 0, 0)


def test_nothing_younger_than_the_cutoff_is_touched(campaign, accepted, time_machine):
    time_machine.move_to(campaign + timedelta(days=10))
    assert retention_purge(actor=CLI, older_than_days=30) == PurgeCounts(0, 0, 0, 0, 1)
    assert all(row.name for row in ApplicationWorker.objects.filter(application=accepted))


def test_a_dry_run_counts_and_changes_nothing(campaign, accepted, time_machine, capsys):
    time_machine.move_to(campaign + timedelta(days=31))
    before = list(ApplicationWorker.objects.values_list("id_number", "name"))
    assert main(["retention", "purge", "--older-than", "30", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would purge" in out and "application workers: 3" in out and "import files: 1" in out
    assert list(ApplicationWorker.objects.values_list("id_number", "name")) == before
    assert ImportRun.objects.get().file.name
    assert not AuditEvent.objects.filter(action="retention.purge").exists()


def test_it_refuses_a_cutoff_below_one_day(db, capsys):
    assert main(["retention", "purge", "--older-than", "0"]) == 1
    assert "bad_retention" in capsys.readouterr().err


def test_export_files_older_than_the_cutoff_go_and_younger_ones_stay(
    taskforce, workers_a, settings, tmp_path, time_machine, django_capture_on_commit_callbacks
):
    from homeward.apps.registry.models import ExportRun
    from homeward.apps.registry.services.exports import export_run_execute_now, export_run_request

    settings.MEDIA_ROOT = tmp_path / "media"
    start = timezone.now()
    time_machine.move_to(start)
    old = export_run_request(actor=taskforce, filters={})
    assert export_run_execute_now(old.pk) == "done"
    time_machine.move_to(start + timedelta(days=20))
    young = export_run_request(actor=taskforce, filters={"status": "away"})
    assert export_run_execute_now(young.pk) == "done"
    old_file, young_file = (
        tmp_path / "media" / ExportRun.objects.get(pk=pk).file.name for pk in (old.pk, young.pk)
    )
    assert old_file.exists() and young_file.exists()
    time_machine.move_to(start + timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        counts = retention_purge(actor=CLI, older_than_days=30)

    assert counts.export_files == 1
    assert not old_file.exists() and young_file.exists()
    assert (
        ExportRun.objects.get(pk=old.pk).file.name == "" and ExportRun.objects.get(pk=old.pk).rows_done == 3
    )
    assert retention_purge(actor=CLI, older_than_days=30).export_files == 0
