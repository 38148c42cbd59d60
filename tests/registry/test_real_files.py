"""#10 item 3: imports take the files offices really hold (tests/data/real, built by its build.py).

Town names with or without their suffix, with the county written before them or by an alias;
rows without a USCC whose enterprise name matches a registered one exactly (flagged); legacy .xls;
a title above the header; merged cells. And the held-out case: a 15-row roster with 8 good rows
accepts exactly those 8 once the city's towns exist.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from homeward.apps.registry.models import Enterprise, Town, Worker
from homeward.apps.registry.services import roster_import
from homeward.core import regions
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db
REAL = Path(__file__).resolve().parents[1] / "data" / "real"
TODAY = dt.date(2020, 2, 10)


@pytest.fixture
def city_towns(db):
    """Cixi's 20 towns and streets with their MCA codes, as setting up the city records them."""
    return Town.objects.bulk_create(Town(code=t.code, name=t.name, kind=t.kind) for t in regions.towns())


def rejected(report):
    return [(r["row"], r["field"], r["reason"]) for r in report.rejected]


def test_the_15_row_bad_roster_accepts_exactly_its_8_good_rows_once_towns_exist(db):
    path = REAL / "roster_15_rows_8_good.csv"
    before = roster_import(actor=system_actor(), source=path, today=TODAY)
    assert before.accepted == 0 and len(before.rejected) == 15  # no town yet: "本市没有镇街"
    assert sum(r["reason"] == "unknown_town" for r in before.rejected) == 14  # the 15th: its bad USCC

    Town.objects.bulk_create(Town(code=t.code, name=t.name, kind=t.kind) for t in regions.towns())
    report = roster_import(actor=system_actor(), source=path, today=TODAY)
    assert report.accepted == 8 and Worker.objects.count() == 8
    assert rejected(report) == [
        (3, "id_number", "checksum"),
        (6, "town", "unknown_town"),
        (7, "name", "required"),
        (9, "phone", "phone"),
        (11, "id_number", "duplicate_in_file"),
        (13, "insured_since", "date"),
        (15, "uscc", "uscc"),
    ]
    assert all(r["message"] for r in report.rejected)


def test_a_title_and_a_filled_in_by_row_above_the_header(city_towns):
    report = roster_import(actor=system_actor(), source=REAL / "roster_title_rows.xlsx", today=TODAY)
    assert (report.accepted, report.rejected) == (5, [])
    assert Worker.objects.filter(name="工人0").exists()


def test_a_gbk_csv_saved_from_a_titled_sheet(city_towns):
    report = roster_import(actor=system_actor(), source=REAL / "roster_gbk_title.csv", today=TODAY)
    assert (report.accepted, report.rejected) == (3, [])


def test_merged_enterprise_cells_are_filled_down_beside_each_worker(city_towns):
    report = roster_import(actor=system_actor(), source=REAL / "roster_merged_cells.xlsx", today=TODAY)
    assert (report.accepted, report.rejected) == (5, [])
    employers = dict(Worker.objects.values_list("name", "employer__name"))
    assert employers == {
        "赵一": "慈溪甲电器有限公司",
        "钱二": "慈溪甲电器有限公司",
        "孙三": "慈溪甲电器有限公司",
        "李四": "慈溪乙塑料制品厂",
        "周五": "慈溪乙塑料制品厂",
    }
    assert Enterprise.objects.get(name="慈溪乙塑料制品厂").town.name == "周巷镇"


def test_a_legacy_xls_with_a_title_merged_cells_and_excel_dates(city_towns):
    report = roster_import(actor=system_actor(), source=REAL / "roster_legacy.xls", today=TODAY)
    assert (report.accepted, report.rejected) == (3, [])
    worker = Worker.objects.get(name="工人31")
    assert worker.employer.name == "慈溪乙塑料制品厂"
    assert worker.memberships.get().insured_since == dt.date(2019, 3, 2)


def test_town_names_as_offices_write_them(city_towns):
    Town.objects.filter(name="观海卫镇").update(aliases="观城，观城镇")
    report = roster_import(actor=system_actor(), source=REAL / "roster_town_names.csv", today=TODAY)
    assert report.accepted == 8
    assert rejected(report) == [(10, "town", "unknown_town")]


def test_rows_without_a_uscc_join_the_registered_enterprise_of_that_exact_name_flagged(city_towns):
    registered = Enterprise.objects.create(
        uscc="91330282MA0000001D", name="慈溪甲电器有限公司", town=Town.objects.get(name="浒山街道")
    )
    report = roster_import(actor=system_actor(), source=REAL / "roster_no_uscc.csv", today=TODAY)
    assert report.accepted == 3
    assert rejected(report) == [(4, "uscc", "required")]
    assert [(f["row"], f["reason"]) for f in report.flagged] == [(2, "uscc_by_name"), (3, "uscc_by_name")]
    assert set(Worker.objects.filter(name__in=["工人60", "工人61"]).values_list("employer", flat=True)) == {
        registered.pk
    }
    assert report.as_dict()["flagged_count"] == 2


def test_an_enterprise_name_two_registered_enterprises_share_is_not_guessed(city_towns):
    town = Town.objects.get(name="浒山街道")
    Enterprise.objects.create(uscc="91330282MA0000001D", name="慈溪甲电器有限公司", town=town)
    Enterprise.objects.create(uscc="91330282MA0000003K", name="慈溪甲电器有限公司", town=town)
    report = roster_import(actor=system_actor(), source=REAL / "roster_no_uscc.csv", today=TODAY)
    assert [r[:2] for r in rejected(report)] == [(2, "uscc"), (3, "uscc"), (4, "uscc")]
    assert report.flagged == []


def test_an_enterprise_uploads_its_worker_list_as_a_legacy_xls_with_a_title(enterprise_user, enterprise_a):
    from homeward.apps.applications import services
    from homeward.apps.applications.worker_rows import read_worker_table
    from homeward.apps.registry.uploads import sync_limits
    from tests.applications.conftest import put_on_roster

    with (REAL / "workers_legacy.xls").open("rb") as fh:  # its people are on the enterprise's roster
        rows = [v for _, v in read_worker_table(fh, sync_limits())]
    put_on_roster(enterprise_a, [[str(v["id_number"]), v["name"], str(v["phone"])] for v in rows])
    draft = services.application_create_draft(actor=enterprise_user)
    with (REAL / "workers_legacy.xls").open("rb") as fh:
        report = services.application_workers_upload(
            actor=enterprise_user, application_id=draft.pk, source=fh
        )
    assert (report["accepted"], report["rejected"]) == (3, [])
    assert sorted(draft.workers.values_list("source_row", flat=True)) == [3, 4, 5]


def test_the_import_page_shows_the_rows_matched_by_name(client, settings, tmp_path, taskforce, city_towns):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from homeward.apps.registry.models import ImportRun
    from homeward.apps.registry.services import import_run_execute_now

    settings.MEDIA_ROOT = tmp_path / "media"
    Enterprise.objects.create(
        uscc="91330282MA0000001D", name="慈溪甲电器有限公司", town=Town.objects.get(name="浒山街道")
    )
    client.force_login(taskforce)
    upload = SimpleUploadedFile("roster_no_uscc.csv", (REAL / "roster_no_uscc.csv").read_bytes())
    client.post(reverse("import-upload"), {"kind": "roster", "file": upload})
    run = ImportRun.objects.get()
    assert import_run_execute_now(run.pk) == "done"
    page = client.get(reverse("import-status", args=[run.pk])).content.decode()
    assert 'data-testid="flagged-rows"' in page and page.count("<code>uscc_by_name</code>") == 2
