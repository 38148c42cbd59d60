"""Roster, police and carrier imports: what lands, what is rejected and why, and what never changes."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homeward.apps.audit.models import AuditEvent
from homeward.apps.registry.models import (
    CarrierAggregate,
    Enterprise,
    ImportRun,
    PoliceArrival,
    RosterMembership,
    Worker,
)
from homeward.apps.registry.services import bulk as bulk_module
from homeward.apps.registry.services import (
    carrier_import,
    import_run_create,
    import_run_execute_now,
    police_import,
    roster_import,
)
from homeward.core.errors import DomainError
from tests.conftest import system_actor
from tests.registry.conftest import AREA_A, uscc

pytestmark = pytest.mark.django_db

TODAY = dt.date(2020, 2, 10)
ZH = ["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"]
EN = ["USCC", "Enterprise Name", "town", "ID_Number", "Name", "phone", "insured_since"]


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def good_rows(ids: list[str]) -> list[list[object]]:
    return [
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", ids[0], "王芳", "13812345678", "2019-03-01"],
        [uscc(1), "慈溪甲电器有限公司", "浒山", ids[1], "李强", "138 1234 5679", "2019/03/02"],
        [uscc(2), "慈溪乙轴承有限公司", "周巷", ids[2], "张伟", "+86 13912345670", "20190303"],
    ]


def registry_writes(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
        and "registry_" in q["sql"]
    ]


class TestRoster:
    def test_it_imports_chinese_headers_and_names_every_bad_row(self, tmp_path, cixi_towns, ids):
        bad = [
            [
                uscc(3),
                "坏代码",
                "浒山街道",
                ids[3][:-1] + ("0" if ids[3][-1] != "0" else "1"),
                "赵六",
                "",
                "",
            ],
            [uscc(3), "某公司", "火星镇", ids[4], "钱七", "", ""],
            [uscc(3), "某公司", "浒山街道", ids[5], "孙八", "12345", ""],
            [uscc(3), "某公司", "浒山街道", ids[6], "周九", "", "2019-13-45"],
            [uscc(3), "某公司", "浒山街道", ids[7], "", "", ""],
            ["91330282MA0000001X", "某公司", "浒山街道", ids[8], "吴十", "", ""],
            [uscc(3), "某公司", "浒山街道", "", "郑十一", "", ""],
        ]
        path = write_csv(tmp_path / "roster.csv", ZH, good_rows(ids) + bad)

        report = roster_import(actor=system_actor(), source=path, today=TODAY)

        assert (report.accepted, report.updated, report.unchanged) == (3, 0, 0)
        got = [(r["row"], r["field"], r["reason"]) for r in report.rejected]
        assert got == [
            (5, "id_number", "checksum"),
            (6, "town", "unknown_town"),
            (7, "phone", "phone"),
            (8, "insured_since", "date"),
            (9, "name", "required"),
            (10, "uscc", "uscc"),
            (11, "id_number", "required"),
        ]
        assert all(r["message"] for r in report.rejected)
        assert Worker.objects.count() == 3 and RosterMembership.objects.count() == 3
        assert Enterprise.objects.count() == 2  # the enterprise of the rejected rows was not created
        w = Worker.objects.get(id_number=ids[1])
        assert (w.name, w.phone, w.employer.uscc, w.employer.town.name) == (
            "李强",
            "13812345679",
            uscc(1),
            "浒山街道",
        )
        assert w.birth_date == dt.date(1986, 3, 2) and len(w.origin_code) == 6
        assert Worker.objects.get(id_number=ids[2]).phone == "13912345670"
        m = RosterMembership.objects.get(worker__id_number=ids[2])
        assert m.insured_since == dt.date(2019, 3, 3) and m.enterprise.town.name == "周巷镇"

    def test_it_imports_english_headers_from_xlsx(self, tmp_path, cixi_towns, ids):
        rows = good_rows(ids)
        rows[0][6] = dt.datetime(2019, 3, 1)  # a real Excel date cell
        rows[1][5] = 13812345679  # a phone typed as a number
        path = write_xlsx(
            tmp_path / "roster.xlsx",
            EN,
            rows + [[None] * 7, [uscc(1), "慈溪甲电器有限公司", "浒山", "x", "某", "", ""]],
        )

        report = roster_import(actor=system_actor(), source=path, today=TODAY)

        assert (report.accepted, report.updated, report.unchanged) == (3, 0, 0)
        assert [(r["row"], r["reason"]) for r in report.rejected] == [(6, "length")]  # row 5 is blank
        assert RosterMembership.objects.get(worker__id_number=ids[0]).insured_since == dt.date(2019, 3, 1)
        assert Worker.objects.get(id_number=ids[1]).phone == "13812345679"

    def test_it_reads_gb18030_csv(self, tmp_path, cixi_towns, ids):
        path = write_csv(tmp_path / "gbk.csv", ZH, good_rows(ids), encoding="gb18030")
        report = roster_import(actor=system_actor(), source=path, today=TODAY)
        assert report.accepted == 3 and not report.rejected
        assert Enterprise.objects.filter(name="慈溪乙轴承有限公司").exists()

    def test_it_changes_nothing_when_the_same_file_is_imported_twice(self, tmp_path, cixi_towns, ids):
        path = write_csv(tmp_path / "roster.csv", ZH, good_rows(ids))
        roster_import(actor=system_actor(), source=path, today=TODAY)

        with CaptureQueriesContext(connection) as ctx:
            again = roster_import(actor=system_actor(), source=path, today=TODAY)

        assert (again.accepted, again.updated, again.unchanged, again.rejected) == (0, 0, 3, [])
        assert registry_writes(ctx.captured_queries) == []
        assert Worker.objects.count() == 3 and RosterMembership.objects.count() == 3

    def test_it_reports_updates_to_existing_workers_and_enterprises(self, tmp_path, cixi_towns, ids):
        roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "a.csv", ZH, good_rows(ids)), today=TODAY
        )
        rows = good_rows(ids)
        rows[0][1] = "慈溪甲电器股份有限公司"  # renamed enterprise (first row of that USCC)
        rows[2][5] = "13900000000"  # new phone
        rows[1][6] = "2019-04-01"  # new insured_since
        rows.append([uscc(2), "慈溪乙轴承有限公司", "周巷镇", ids[9], "新人", "", ""])

        report = roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "b.csv", ZH, rows), today=TODAY
        )

        assert (report.accepted, report.updated, report.unchanged) == (1, 3, 0)
        assert Enterprise.objects.get(uscc=uscc(1)).name == "慈溪甲电器股份有限公司"
        assert Worker.objects.get(id_number=ids[2]).phone == "13900000000"
        assert RosterMembership.objects.get(worker__id_number=ids[1]).insured_since == dt.date(2019, 4, 1)

    def test_it_moves_a_worker_to_a_new_employer_and_keeps_the_old_membership(
        self, tmp_path, cixi_towns, ids
    ):
        roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "a.csv", ZH, good_rows(ids)[:1]), today=TODAY
        )
        moved = [[uscc(2), "慈溪乙轴承有限公司", "周巷镇", ids[0], "王芳", "13812345678", "2020-01-01"]]
        report = roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "b.csv", ZH, moved), today=TODAY
        )
        assert report.updated == 1
        assert Worker.objects.get(id_number=ids[0]).employer.uscc == uscc(2)
        assert RosterMembership.objects.filter(worker__id_number=ids[0]).count() == 2

    def test_it_rejects_duplicate_ids_within_a_file_naming_the_first_row(self, tmp_path, cixi_towns, ids):
        rows = good_rows(ids)
        rows.append([uscc(2), "慈溪乙轴承有限公司", "周巷镇", ids[0], "王芳二", "", ""])
        rows.append([uscc(1), "慈溪甲电器有限公司", "浒山", ids[0].lower(), "王芳三", "", ""])
        report = roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "d.csv", ZH, rows), today=TODAY
        )
        assert report.accepted == 3
        assert [(r["row"], r["field"], r["reason"]) for r in report.rejected] == [
            (5, "id_number", "duplicate_in_file"),
            (6, "id_number", "duplicate_in_file"),
        ]
        assert "2" in report.rejected[0]["message"]
        assert Worker.objects.get(id_number=ids[0]).name == "王芳"

    def test_it_refuses_a_file_with_missing_columns_and_writes_nothing(self, tmp_path, cixi_towns, ids):
        path = write_csv(tmp_path / "m.csv", ["企业名称", "身份证号", "姓名"], [["x", ids[0], "王"]])
        with pytest.raises(DomainError) as info:
            roster_import(actor=system_actor(), source=path, today=TODAY)
        assert info.value.code == "missing_column"
        for column in ("镇街", "手机号"):
            assert column in info.value.message
        assert Worker.objects.count() == 0 and not AuditEvent.objects.filter(action="import.roster").exists()

    def test_it_rolls_everything_back_when_a_write_fails(self, tmp_path, cixi_towns, ids, monkeypatch):
        real_insert = bulk_module.bulk_insert

        def failing_insert(model, fields, rows):
            if model is RosterMembership:
                raise RuntimeError("disk full")
            return real_insert(model, fields, rows)

        monkeypatch.setattr(bulk_module, "bulk_insert", failing_insert)
        with pytest.raises(RuntimeError):
            roster_import(
                actor=system_actor(), source=write_csv(tmp_path / "r.csv", ZH, good_rows(ids)), today=TODAY
            )
        assert Enterprise.objects.count() == 0 and Worker.objects.count() == 0
        assert not AuditEvent.objects.filter(action="import.roster").exists()

    def test_it_writes_one_audit_event_per_import(self, tmp_path, cixi_towns, ids):
        roster_import(
            actor=system_actor(), source=write_csv(tmp_path / "r.csv", ZH, good_rows(ids)), today=TODAY
        )
        events = AuditEvent.objects.filter(action="import.roster")
        assert events.count() == 1
        assert events.get().data == {
            "accepted": 3,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "source": "r.csv",
        }

    def test_it_accepts_rows_as_dicts(self, cixi_towns, ids):
        rows = [(n, dict(zip(EN, row, strict=True))) for n, row in enumerate(good_rows(ids), start=2)]
        report = roster_import(actor=system_actor(), source=rows, today=TODAY)
        assert report.accepted == 3


class TestPolice:
    HEADER = ["身份证号", "到达日期", "地点"]

    def test_it_deduplicates_on_id_date_and_place(self, tmp_path, ids):
        rows = [
            [ids[0], "2020-02-01", "余姚北站"],
            [ids[0], "2020-02-03", "余姚北站"],
            [ids[1], "2020/02/01", ""],
            [ids[0], "20200201", "余姚北站"],  # same as row 2
            [ids[2], "2020-03-01", "宁波站"],  # after TODAY
            [ids[3], "2020-02-30", "宁波站"],
        ]
        path = write_csv(tmp_path / "p.csv", self.HEADER, rows)
        report = police_import(actor=system_actor(), source=path, today=TODAY)
        assert (report.accepted, report.unchanged) == (3, 0)
        assert [(r["row"], r["field"], r["reason"]) for r in report.rejected] == [
            (5, "id_number", "duplicate_in_file"),
            (6, "arrived_on", "date"),
            (7, "arrived_on", "date"),
        ]
        again = police_import(actor=system_actor(), source=path, today=TODAY)
        assert (again.accepted, again.unchanged) == (0, 3)
        assert PoliceArrival.objects.count() == 3

    def test_it_takes_english_headers_and_an_optional_place(self, tmp_path, ids):
        path = write_csv(tmp_path / "p.csv", ["id_number", "Arrived On"], [[ids[0], "2020-02-01"]])
        assert police_import(actor=system_actor(), source=path, today=TODAY).accepted == 1
        assert PoliceArrival.objects.get().place == ""


class TestCarrier:
    HEADER = ["日期", "所在区县代码", "人数"]

    def test_it_upserts_on_date_and_county(self, tmp_path):
        first = write_csv(
            tmp_path / "c1.csv", self.HEADER, [["2020-02-01", AREA_A, "1,200"], ["2020-02-01", "520502", 30]]
        )
        assert carrier_import(actor=system_actor(), source=first).accepted == 2
        second = write_csv(
            tmp_path / "c2.csv",
            ["date", "county_code", "count"],
            [
                ["2020-02-01", AREA_A, 1300],
                ["2020-02-01", "520502", 30],
                ["2020-02-02", AREA_A, 5],
                ["2020-02-02", "12345", 5],
                ["2020-02-02", "520502", -1],
                ["2020-02-02", "520502", "many"],
                ["2020-02-02", AREA_A, 6],
                ["", AREA_A, 6],
            ],
        )
        report = carrier_import(actor=system_actor(), source=second)
        assert (report.accepted, report.updated, report.unchanged) == (1, 1, 1)
        assert [(r["row"], r["field"], r["reason"]) for r in report.rejected] == [
            (5, "county_code", "unknown_county"),
            (6, "count", "number"),
            (7, "count", "number"),
            (8, "county_code", "duplicate_in_file"),
            (9, "date", "required"),
        ]
        assert CarrierAggregate.objects.get(date=dt.date(2020, 2, 1), county_code=AREA_A).count == 1300

    def test_it_rejects_codes_that_are_not_current_counties(self, tmp_path):
        from homeward.core import regions

        assert regions.is_county(AREA_A)
        path = write_csv(
            tmp_path / "c.csv", self.HEADER, [["2020-02-01", "999999", 1], ["2020-02-01", "520500", 1]]
        )
        report = carrier_import(actor=system_actor(), source=path)
        assert [r["reason"] for r in report.rejected] == ["unknown_county", "unknown_county"]


class TestImportRuns:
    def _upload(self, name: str, content: bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile(name, content, content_type="text/csv")

    def test_it_stores_the_file_enqueues_on_commit_and_runs_once(
        self, tmp_path, settings, cixi_towns, ids, taskforce, django_capture_on_commit_callbacks
    ):
        settings.MEDIA_ROOT = tmp_path / "media"
        content = write_csv(tmp_path / "r.csv", ZH, good_rows(ids)).read_bytes()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            run = import_run_create(
                actor=taskforce, kind="roster", uploaded_file=self._upload("名册.csv", content)
            )
            same = import_run_create(
                actor=taskforce, kind="roster", uploaded_file=self._upload("again.csv", content)
            )
        assert same.pk == run.pk and len(callbacks) == 1
        assert run.state == "queued" and len(run.sha256) == 64 and Path(run.file.path).is_file()
        assert run.original_name == "名册.csv"

        assert import_run_execute_now(run.pk) == "done"
        assert import_run_execute_now(run.pk) == "skipped"  # claimed once
        run.refresh_from_db()
        assert run.state == "done" and run.finished_at is not None
        assert run.report["accepted"] == 3 and run.rows_done == 3
        assert AuditEvent.objects.filter(action="import.roster", object_id=str(run.pk)).count() == 1

    def test_a_file_level_error_fails_the_run_with_its_reason(self, tmp_path, settings, taskforce):
        settings.MEDIA_ROOT = tmp_path / "media"
        run = import_run_create(
            actor=taskforce, kind="police", uploaded_file=self._upload("p.csv", b"name\nx\n")
        )
        assert import_run_execute_now(run.pk) == "failed"
        run.refresh_from_db()
        assert run.state == "failed" and run.report["reason"] == "missing_column" and "身份证号" in run.error

    def test_the_task_runs_the_import(self, tmp_path, settings, cixi_towns, ids, taskforce):
        from homeward.apps.registry.tasks import import_run_execute

        settings.MEDIA_ROOT = tmp_path / "media"
        settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
        content = write_csv(tmp_path / "r.csv", ZH, good_rows(ids)).read_bytes()
        run = import_run_create(actor=taskforce, kind="roster", uploaded_file=self._upload("r.csv", content))
        result = import_run_execute.enqueue(run.pk)
        assert result.return_value == "done"
        assert ImportRun.objects.get(pk=run.pk).report["accepted"] == 3


class TestCli:
    def test_it_prints_the_report_as_json(self, tmp_path, cixi_towns, ids, capsys):
        from homeward.cli import main

        rows = good_rows(ids) + [[uscc(1), "x", "浒山", "123", "某", "", ""]]
        path = write_csv(tmp_path / "r.csv", ZH, rows)
        assert main(["import", "roster", str(path), "--json", "--max-rejected", "5"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["accepted"] == 3 and report["rejected"][0]["reason"] == "length"
        assert ImportRun.objects.get().state == "done"

    def test_it_exits_1_naming_the_missing_columns(self, tmp_path, capsys):
        from homeward.cli import main

        path = write_csv(tmp_path / "p.csv", ["地点"], [["余姚北站"]])
        assert main(["import", "police", str(path)]) == 1
        err = capsys.readouterr().err
        assert "身份证号/id_number" in err and "missing_column" in err
