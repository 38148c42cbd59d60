"""A second city end to end: Yiwu (330782) on a fresh install, through the same loop as the demo city.

setup → roster import with Yiwu's town names → heat map → applications → plan (arriving at 义乌站) →
permits; and the 15-row roster with 8 good rows (``tests/data/roster_yiwu_15_rows_8_good.csv``)
accepts its good rows once the city is set up.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from homeward.apps.accounts.policy import CLI
from homeward.cli import main
from homeward.core import regions
from homeward.core.identity import uscc_check_char
from tests.conftest import system_actor
from tests.factories import make_ric

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
BAD_ROSTER = DATA / "roster_yiwu_15_rows_8_good.csv"
YIWU = "330782"
ROSTER_HEADER = ["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"]
# (enterprise, its town as the roster writes it, origin county, workers, of whom already back)
ENTERPRISES = [
    ("义乌市甲小商品有限公司", "稠城街道", "341221", 12, 2),  # 临泉, near the 阜阳 train
    ("义乌市乙饰品有限公司", "佛堂", "411402", 8, 0),  # 商丘梁园, by bus; the town without 镇
    ("义乌市丙袜业有限公司", "苏溪镇", "520502", 6, 3),  # 毕节七星关
]


@pytest.fixture(autouse=True)
def _files_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.HEATMAP_HOTSPOT_MIN_AWAY = 5


def _uscc(n: int) -> str:
    body = f"91330782MA2F{n:05d}"
    return body + uscc_check_char(body)


def _roster(tmp_path: Path) -> tuple[Path, dict[str, list[str]], list[str]]:
    """A small synthetic Yiwu roster; returns (file, IDs by enterprise name, IDs already back)."""
    ids: dict[str, list[str]] = {}
    back: list[str] = []
    rows = []
    seq = 0
    for n, (name, town, county, workers, returned) in enumerate(ENTERPRISES, start=1):
        for i in range(workers):
            seq += 1
            number = make_ric(county, dt.date(1985, 1, 1) + timedelta(days=seq * 97), seq)
            ids.setdefault(name, []).append(number)
            if i < returned:
                back.append(number)
            rows.append([_uscc(n), name, town, number, f"员工{seq:02d}", f"139{seq:08d}", "2019-03-01"])
    path = tmp_path / "yiwu-roster.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ROSTER_HEADER)
        writer.writerows(rows)
    return path, ids, back


def _csv(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def _application(enterprise, user, ids, county, town_officer_or_taskforce):
    from homeward.apps.applications import services

    app = services.application_create_draft(actor=user)
    rows = [[number, f"员工{i}", f"137{i:08d}", county, "绿码"] for i, number in enumerate(ids)]
    report = services.application_workers_upload(
        actor=user,
        application_id=app.pk,
        source=_csv(["身份证号", "姓名", "手机号", "接送区县", "健康码"], rows),
    )
    assert report["accepted"] == len(ids), report
    services.application_submit(actor=user, application_id=app.pk, idempotency_key=f"yiwu-{enterprise.pk}")
    return services.application_accept(actor=town_officer_or_taskforce, application_id=app.pk)


def _resources(now):
    """A train slot 阜阳 → the city's nearest station, home coaches and drivers, Shangqiu coaches."""
    from homeward.apps.planning.models import HOME_BASE, Coach, Driver, MedicalEscort, TrainSlot
    from homeward.apps.registry.selectors import home_stations

    arrival = home_stations()[0]
    TrainSlot.objects.create(
        name="义乌号", origin_station="阜阳", origin_telecode="FYH", destination_station=arrival.name,
        destination_telecode=arrival.telecode, departs=now + timedelta(hours=6), arrives=now + timedelta(hours=12),
        seats=60, load_cap_pct=50, state="granted",
    )  # fmt: skip
    for i in range(6):
        Coach.objects.create(plate=f"浙G{9000 + i}", seats=55, carrier="义乌客运", base=HOME_BASE)
        Driver.objects.create(name=f"司机{i}", licence_no=f"YW{i:06d}", base=HOME_BASE)
    for i in range(3):
        Coach.objects.create(plate=f"豫N{8000 + i}", seats=55, carrier="商丘客运", base="411400")
    MedicalEscort.objects.create(name="医生甲", phone="13800000001", base=HOME_BASE)


def test_yiwu_end_to_end_from_setup_to_permits(
    tmp_path, capsys, client, taskforce, transport_officer, health_officer
):
    from django.utils import timezone

    from homeward.apps.accounts.services import user_create_with_role
    from homeward.apps.applications.models import Permit
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from homeward.apps.planning.models import PlanSeat, PlanVehicle
    from homeward.apps.planning.permits import plan_permits_draft
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request
    from homeward.apps.registry.models import Enterprise, Town
    from homeward.apps.registry.services import police_import
    from tests.applications.conftest import HEALTH_DATA, TRANSPORT_DATA, task_of

    # 1. fresh install → setup
    assert main(["setup", "--city", YIWU]) == 0
    assert "浙江省金华市义乌市 (330782) set up" in capsys.readouterr().out
    yiwu = regions.require(YIWU)

    # 2. the roster names Yiwu's towns (one without its 镇)
    path, ids, back = _roster(tmp_path)
    assert main(["import", "roster", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["rejected"]) == (26, [])
    assert {e.name: e.town.name for e in Enterprise.objects.select_related("town")} == {
        "义乌市甲小商品有限公司": "稠城街道", "义乌市乙饰品有限公司": "佛堂镇", "义乌市丙袜业有限公司": "苏溪镇",
    }  # fmt: skip
    police = police_import(
        actor=system_actor(),
        source=enumerate(({"id_number": n, "arrived_on": "2020-02-12", "place": "义乌站"} for n in back), 2),
    )
    assert police.accepted == len(back)

    # 3. the heat map: origins by county, flow lines ending at Yiwu, Yiwu's towns
    snap = heatmap_rebuild_request(actor=taskforce)
    assert heatmap_rebuild_execute_now(snap.pk) == "done"
    client.force_login(taskforce)
    body = client.get("/api/v1/heatmap", {"level": "county"}).json()
    assert body["home"] == {"code": YIWU, "name": "义乌市", "lat": yiwu.lat, "lon": yiwu.lon}
    away = {r["code"]: r["away"] for r in body["rows"]}
    assert (away["341221"], away["411402"], away["520502"]) == (10, 8, 3)
    towns = client.get("/api/v1/heatmap/shortfall/towns").json()["rows"]
    assert {r["name"] for r in towns} == {"稠城街道", "佛堂镇", "苏溪镇"}
    page = client.get("/heatmap/").content.decode()
    assert 'data-city-name="义乌市"' in page and "各地至义乌市" in page
    assert "义乌市 · 用工热图" in client.get("/heatmap/screen/").content.decode()

    # 4. applications from two enterprises, accepted
    now = timezone.now()
    accepted = []
    for name, county in (("义乌市甲小商品有限公司", "341221"), ("义乌市乙饰品有限公司", "411402")):
        ent = Enterprise.objects.get(name=name)
        user = user_create_with_role(
            actor=system_actor(),
            username=f"ent-{ent.pk}",
            password="x-pass-1",
            role="enterprise",
            enterprise=ent,
        )
        away_ids = [n for n in ids[name] if n not in back]
        accepted.append(_application(ent, user, away_ids, county, taskforce))

    # 5. the plan: the 临泉 workers by train to 义乌站 and a shuttle, 梁园 by bus; all drops in Yiwu
    _resources(now)
    run = plan_run_request(actor=taskforce, enqueue=False)
    assert plan_run_execute_now(run.pk) == "done"
    vehicles = list(PlanVehicle.objects.filter(run=run))
    train = next(v for v in vehicles if v.kind == "train")
    assert train.destination_name == "义乌"
    assert any(v.kind == "shuttle" for v in vehicles) and any(v.kind == "bus" for v in vehicles)
    seats = PlanSeat.objects.filter(run=run)
    assert seats.values("worker").distinct().count() == 18 and not seats.filter(vehicle=None).exists()
    assert seats.filter(leg=1).count() == 10  # the train's passengers take the shuttle from 义乌站
    drops = [s for v in vehicles for s in v.detail["stops"] if s["k"] == "drop"]
    assert drops and all(regions.great_circle_km(s["lat"], s["lon"], yiwu.lat, yiwu.lon) < 10 for s in drops)
    home_bus = [v for v in vehicles if v.base == "home"]
    places = {s["place"] for v in vehicles for s in v.detail["stops"]}
    assert not any("慈溪" in p for p in places), places
    assert all(v.detail["stops"][0]["place"] == "义乌市" for v in home_bus if v.kind == "bus")
    town_points = set(Town.objects.values_list("lat", "lon"))
    assert town_points == {(yiwu.lat, yiwu.lon)}  # approximate: the county's point

    # 6. permits: the application's road pass and prevention permit, the plan's road passes
    app = accepted[0]
    from homeward.apps.applications import services

    transport = {
        **TRANSPORT_DATA, "plate": "皖K·D1234", "carrier": "临泉县汽车运输有限公司", "route": ["临泉", "G3 京台高速", "义乌"],
        "provinces": "安徽、浙江", "entry_station": "临泉收费站", "exit_station": "义乌收费站",
    }  # fmt: skip
    services.department_task_complete(
        actor=transport_officer, task_id=task_of(app, "vehicle_route_pass").pk, data=transport
    )
    services.department_task_complete(
        actor=health_officer, task_id=task_of(app, "escort_kit_checks").pk, data=HEALTH_DATA
    )
    permits = list(Permit.objects.filter(application=app))
    assert {p.kind for p in permits} == {"road_pass", "prevention"}
    assert all(p.payload["organiser"] == "义乌市企业复工复产返岗专班" for p in permits)
    task = task_of(app, "vehicle_route_pass")
    assert task.data["destination"].startswith("浙江省金华市义乌市稠城街道 义乌市甲小商品有限公司")
    drafted = plan_permits_draft(actor=taskforce, run_id=run.pk)
    assert drafted and all(p.payload["organiser"] == "义乌市企业复工复产返岗专班" for p in drafted)
    assert not any("慈溪" in p.body for p in [*permits, *drafted])


def test_the_15_row_roster_accepts_its_8_good_rows_once_the_city_is_set_up():
    """Before the setup no town exists and no row can be accepted; after it the 8 good rows are, and
    the 7 bad ones are each refused for their own fault (none for an unknown town but 火星镇)."""
    from homeward.apps.registry.models import Enterprise, Worker
    from homeward.apps.registry.services import import_run_from_path
    from homeward.core.errors import DomainError

    try:
        _run, before = import_run_from_path(actor=CLI, kind="roster", path=BAD_ROSTER)
        assert before.accepted == 0
    except DomainError:
        pass  # refusing the whole file before the setup is as right
    assert Worker.objects.count() == 0

    assert main(["setup", "--city", YIWU]) == 0
    _run, after = import_run_from_path(actor=CLI, kind="roster", path=BAD_ROSTER)
    assert after.accepted == 8 and Worker.objects.count() == 8
    refused = {(e["row"], e["field"]) for e in after.rejected}
    assert refused == {
        (4, "id_number"), (6, "town"), (8, "name"), (10, "phone"), (12, "id_number"), (14, "uscc"), (15, "id_number"),
    }  # fmt: skip
    assert {e["row"] for e in after.rejected if e["field"] == "town"} == {6}
    assert set(Enterprise.objects.values_list("town__name", flat=True)) == {"稠城街道", "佛堂镇", "苏溪镇"}
