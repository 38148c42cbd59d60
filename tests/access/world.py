"""The world the access matrix walks: two sides of the city and one user per role.

Side ``own`` is enterprise A in town A, with workers from Guizhou (province 52); side ``foreign`` is
enterprise B in town B, with workers from Anhui (34). Every persona belongs to side ``own`` (the
town officer's town A, the enterprise user's enterprise A, the service team's province 52), so a
``foreign`` object is one that a scoped role must not even see.

Each side holds an application in every state an endpoint acts on (draft, submitted, accepted with
its open tasks, one with drafted permits, one with issued permits), roster workers free to be added,
and there is one import run, one done plan (with buses) and one heat-map snapshot of it all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tests.applications.conftest import HEALTH_DATA, TRANSPORT_DATA
from tests.factories import EnterpriseFactory, make_ric

SIDES = ("own", "foreign")
ROLES = (
    "taskforce", "town", "enterprise", "dept_hr", "dept_transport", "dept_health",
    "service_team", "station", "escort", "worker",
)  # fmt: skip
# Roles bound to a part of the city: they must not see the other side's objects at all.
SCOPED = frozenset({"town", "enterprise", "service_team"})
# Not a role: a worker without an account, signed in on their own page (``trips``) by a link or code.
WORKER_SESSION = "worker_session"
PASSWORD = "matrix-pass-1"

HR_DATA = {"government_share": 50, "enterprise_share": 50}
RECEPTION_DATA = {"reception_point": "余姚北站", "contact": "李"}


@dataclass
class Side:
    town: Any
    enterprise: Any
    roster: list[Any]
    objects: dict[str, Any] = field(default_factory=dict)
    free: list[Any] = field(default_factory=list)  # roster workers in no application


@dataclass
class World:
    users: dict[str, Any]
    sides: dict[str, Side]
    shared: dict[str, Any]

    def sign_in_worker(self, client: Any) -> Any:
        """``client`` signed in on the worker's own page (``WORKER_SESSION``) by the short code."""
        ticket, link = self.shared["worker_ticket"], self.shared["worker_link"]
        response = client.post("/w/", {"code": link.code, "last4": ticket.worker.id_number[-4:]})
        assert response.status_code == 302, response.content[:300]
        return client

    def params(self, kind: str, side: str) -> dict[str, object]:
        """Path parameters naming the object ``kind`` of ``side``."""
        s = self.sides[side]
        if kind in self.shared:
            obj = self.shared[kind]
        else:
            obj = s.objects[kind] if kind in s.objects else getattr(s, kind)
        if kind == "enterprise":
            return {"enterprise_id": obj.pk}
        if kind == "worker":
            return {"worker_id": obj.pk}
        if kind in ("draft", "submitted", "accepted", "drafted", "issued"):
            first = obj.workers.filter(active=True).order_by("pk").first()
            return {"application_id": obj.pk, "row_id": first.pk}
        if kind.startswith("task_"):
            return {"task_id": obj.pk}
        if kind.startswith("permit_"):
            return {"permit_id": obj.pk}
        if kind == "plan_run":  # index: the plan's first proposed special train
            return {"run_id": obj.pk, "index": 0}
        if kind == "vehicle":
            return {"vehicle_id": obj.pk, "fmt": "xlsx"}
        if kind == "handover":
            return {"handover_id": obj.pk}
        if kind == "import_run":
            return {"run_id": obj.pk}
        if kind == "export_run":  # the task force persona's own export
            return {"export_id": obj.pk}
        if kind == "campaign":  # a draft letters-home campaign of the task force
            return {"campaign_id": obj.pk}
        if kind == "health_status":
            return {"status_id": obj.pk}
        if kind == "vacancy":
            return {"vacancy_id": obj.pk}
        if kind == "offer":
            return {"offer_id": obj.pk}
        if kind == "test_booking":
            return {"booking_id": obj.pk}
        raise KeyError(kind)


def _roster(enterprise: Any, area: str, born: dt.date, count: int) -> list[Any]:
    from homeward.apps.registry.models import Worker
    from tests.factories import WorkerFactory

    workers = [
        WorkerFactory.build(
            id_number=make_ric(area, born + dt.timedelta(days=i), 500 + i),
            name=f"{enterprise.name[2]}工{i:02d}",
            phone=f"137{enterprise.pk % 10}{i:07d}",
            origin_code=area,
            employer=enterprise,
        )
        for i in range(count)
    ]
    return list(Worker.objects.bulk_create(workers))


def _application(actor: Any, side: Side, state: str, users: dict[str, Any]) -> Any:
    """An application of ``side`` taken to ``state`` through the services, holding two roster workers."""
    from homeward.apps.accounts.policy import ROLE_SIGNER
    from homeward.apps.applications import services
    from homeward.apps.applications.models import DepartmentTask

    app = services.application_create_draft(actor=actor, enterprise_id=side.enterprise.pk)
    picked = [side.free.pop(), side.free.pop()]
    services.application_workers_add_from_roster(
        actor=actor, application_id=app.pk, worker_ids=[w.pk for w in picked]
    )
    if state != "draft":
        services.application_submit(actor=actor, application_id=app.pk)
    if state in ("accepted", "drafted", "issued"):
        services.application_accept(actor=actor, application_id=app.pk)
    if state in ("drafted", "issued"):
        for kind, data in (("vehicle_route_pass", TRANSPORT_DATA), ("escort_kit_checks", HEALTH_DATA)):
            task = DepartmentTask.objects.get(case__application=app, kind=kind)
            services.department_task_complete(actor=actor, task_id=task.pk, data=data)
    if state == "issued":
        for permit in app.permits.all():
            for role in ("dept_hr", "dept_transport", "dept_health"):
                if str(ROLE_SIGNER[role]) in permit.signer_list:
                    services.permit_sign(actor=users[role], permit_id=permit.pk)
    app.refresh_from_db()
    return app


def build_world() -> World:
    from homeward.apps.accounts.services import user_create_with_role
    from homeward.apps.applications.models import DepartmentTask, Permit
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request
    from homeward.apps.registry.models import ImportRun
    from tests.conftest import system_actor
    from tests.planning.conftest import make_application, make_resources

    system = system_actor()
    from homeward.apps.registry.models import Town
    from homeward.apps.registry.services.city import city_setup

    city_setup(actor=system, code="330282")  # the home city, its towns and stations
    town_a = Town.objects.get(name="浒山街道")
    town_b = Town.objects.get(name="周巷镇")
    ent_a = EnterpriseFactory(name="慈溪甲电器有限公司", town=town_a, is_key=True)
    ent_b = EnterpriseFactory(name="慈溪乙轴承有限公司", town=town_b)
    sides = {
        "own": Side(town_a, ent_a, _roster(ent_a, "520502", dt.date(1986, 1, 1), 14)),
        "foreign": Side(town_b, ent_b, _roster(ent_b, "341221", dt.date(1987, 1, 1), 14)),
    }
    from homeward.apps.planning.models import MedicalEscort

    make_resources()  # the fleet and its medical escort (医生甲), whom the escort persona logs in as
    scope = {
        "escort": {"escort": MedicalEscort.objects.get(name="医生甲")},
        "town": {"town": town_a},
        "enterprise": {"enterprise": ent_a},
        "service_team": {"province_code": "52"},
        "station": {"place": "余姚北站"},
    }
    users = {
        role: user_create_with_role(
            actor=system, username=f"m-{role}", password=PASSWORD, role=role, **scope.get(role, {})
        )
        for role in ROLES
    }
    # A plan first, while only its own applications are accepted (a plan run plans every accepted one).
    make_application(ent_a, ["341221"] * 3)
    make_application(ent_b, ["411402"] * 3)
    run = plan_run_request(actor=system, enqueue=False)
    assert plan_run_execute_now(run.pk) == "done"
    run.refresh_from_db()
    if not run.train_requests:  # three workers make no train worth asking for: propose one to act on
        from homeward.apps.planning.serialize import train_request_dict
        from homeward.core.planning import TrainRequest

        leaves = run.plan_time or dt.datetime(2020, 2, 20, 8, tzinfo=dt.UTC)
        proposal = TrainRequest("阜阳", "宁波", leaves, leaves, 600, 3, 3, 9.0, 1)
        run.train_requests = [train_request_dict(proposal)]
        run.save(update_fields=["train_requests"])
    for side in sides.values():
        side.free = list(side.roster)
        for state in ("draft", "submitted", "accepted", "drafted", "issued"):
            side.objects[state] = _application(system, side, state, users)
        accepted = side.objects["accepted"]
        for kind, name in (
            ("vehicle_route_pass", "task_transport"), ("escort_kit_checks", "task_health"),
            ("list_check_subsidy", "task_hr"), ("landing_handover", "task_reception"),
        ):  # fmt: skip
            side.objects[name] = DepartmentTask.objects.get(case__application=accepted, kind=kind)
        side.objects["permit_drafted"] = Permit.objects.get(
            application=side.objects["drafted"], kind="prevention"
        )
        side.objects["permit_road_drafted"] = Permit.objects.get(
            application=side.objects["drafted"], kind="road_pass"
        )
        side.objects["permit_issued"] = Permit.objects.get(
            application=side.objects["issued"], kind="prevention"
        )
        side.objects["worker"] = side.free[0]
    _team_objects(system, sides)
    import_run = ImportRun.objects.create(
        kind="roster", state="done", original_name="名册.csv",
        report={"rejected": [{"row": 2, "field": "id_number", "reason": "checksum", "message": "x"}]},
    )  # fmt: skip
    from homeward.apps.registry.services.exports import export_run_execute_now, export_run_request

    export_run = export_run_request(actor=users["taskforce"], filters={})
    export_run_execute_now(export_run.pk)  # (or already run on commit by an immediate task backend)
    export_run.refresh_from_db()
    assert export_run.state == "done", export_run.error
    snapshot = heatmap_rebuild_request(actor=system, reason="matrix")
    assert heatmap_rebuild_execute_now(snapshot.pk) == "done"
    shared = {
        "plan_run": run,
        "vehicle": PlanVehicle.objects.filter(run=run, kind="bus").order_by("pk").first(),
        "import_run": import_run,
        "export_run": export_run,
    }
    assert shared["vehicle"] is not None, "the matrix plan has no bus"
    # A worker of side own with a ticket from the plan (the latest first pickup: declarations open),
    # and the short code that signs a client in as them (``World.sign_in_worker``).
    from homeward.apps.trips.models import Ticket
    from homeward.apps.trips.services.self_service import worker_link_issue

    ticket = max(
        Ticket.objects.filter(state="issued", worker__application__enterprise=ent_a),
        key=lambda t: t.legs[0]["pickup_at"],
    )
    shared["worker_ticket"] = ticket
    # the ticket holder is also a registry worker, so their one link serves letters and replies too
    from homeward.apps.registry.models import Worker

    holder = ticket.worker
    holder.worker = Worker.objects.create(
        id_number=holder.id_number, name=holder.name, phone=holder.phone,
        origin_code=holder.origin_code or "341221", birth_date=dt.date(1990, 1, 1), employer=ent_a,
        status=Worker.Status.AWAY,
    )  # fmt: skip
    holder.save(update_fields=["worker"])
    shared["worker_link"] = worker_link_issue(actor=system, worker_id=ticket.worker_id)
    shared["observation_scan"], shared["handover"] = _observations(run, users["escort"], ticket.worker_id)
    # letters home: a draft campaign, and on each side a worker who replied they are coming back
    from homeward.apps.accounts.policy import WorkerSession
    from homeward.apps.letters.services import campaign_create
    from homeward.apps.letters.services.replies import letter_reply

    shared["campaign"] = campaign_create(
        actor=users["taskforce"], name="矩阵家书", template="{姓名} {链接}", hotline="12345", channel="file",
        audience={"origin": "520000"},
    )  # fmt: skip
    for side in sides.values():
        person = side.free[-1]
        letter_reply(
            actor=WorkerSession(0, person.pk), kind="returning", return_date=dt.date.today().isoformat(),
            county=person.origin_code, needs_transport=True, health_code="green", nonce="matrix",
        )  # fmt: skip
        side.objects["intention"] = person.intention
    return World(users=users, sides=sides, shared=shared)


def _observations(run: Any, escort: Any, own_worker_id: int) -> tuple[Any, Any]:
    """Two boarding scans that routed a rider of the escort persona's vehicle to observation, made at
    the station persona's place: one still to hand over, one handed over (its outcome to record).
    Not the worker persona's own rider: once boarded, their trip is no longer theirs to confirm."""
    import datetime as dt

    from homeward.apps.accounts.policy import escort_vehicle_ids
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.trips.models import ObservationHandover, ScanEvent

    seats = PlanSeat.objects.filter(vehicle_id__in=escort_vehicle_ids(escort.profile)).select_related(
        "vehicle"
    )
    riders = list(seats.exclude(worker_id=own_worker_id).order_by("pk")[:2])
    assert len(riders) == 2, "the escort persona rides no vehicle with two riders in the matrix plan"
    now = dt.datetime.now(dt.UTC)
    scans = [
        ScanEvent.objects.create(
            nonce=f"matrix-observation-{n}",
            worker_id=s.worker_id,
            checkpoint="board",
            place="余姚北站",
            vehicle_key=s.vehicle.key,
            vehicle=s.vehicle.name,
            temperature_c="38.1",
            outcome="observation",
            reason="fever",
            answer="recorded",
            client_at=now,
            server_at=now,
        )  # fmt: skip
        for n, s in enumerate(riders)
    ]
    handed = ObservationHandover.objects.create(
        scan=scans[1], worker_id=scans[1].worker_id, vehicle_key=scans[1].vehicle_key, rear_seat="末排",
        health_post="余姚北站健康点", handed_by="m-escort", received_by="王医生", handed_at=now,
    )  # fmt: skip
    return scans[0], handed


def _team_objects(system: Any, sides: dict[str, Side]) -> None:
    """A service team in each side's origin province (52 own, 34 foreign), one unverified health
    status of a side's roster worker, recorded by it (``health_status``), and a test booked there
    (``test_booking``)."""
    from homeward.apps.teams.services import health_status_record, team_create

    for side, province in (("own", "52"), ("foreign", "34")):
        team_create(actor=system, province=province, name=f"服务小分队{province}", base_city="—")
        worker = sides[side].roster[0]
        sides[side].objects["health_status"] = health_status_record(
            actor=system, province=province, id_number=worker.id_number, health_code="green",
            code_province=province, nonce=f"matrix-{side}",
        )  # fmt: skip
        _recruiting_objects(system, sides[side], side, province)
        sides[side].objects["test_booking"] = _test_booking(sides[side].objects["accepted"], province)


def _test_booking(application: Any, province: str) -> Any:
    """A test booked at the side's origin province for a passenger of its accepted application."""
    from django.utils import timezone

    from homeward.apps.teams.models import TestBooking

    return TestBooking.objects.create(
        worker=application.workers.order_by("pk").first(), province=province, vehicle_key="matrix-bus",
        place="采样点", scheduled_at=timezone.now(), created_at=timezone.now(),
    )  # fmt: skip


def _recruiting_objects(system: Any, side: Side, name: str, province: str) -> None:
    """The side's enterprise's vacancy, a recruit of the side's province and an offer between them."""
    from homeward.apps.teams.recruiting import offer_make, recruit_register, vacancy_post

    county = "520502" if province == "52" else "341221"
    side.objects["vacancy"] = vacancy_post(
        actor=system, enterprise_id=side.enterprise.pk, role=f"焊工{name}", count=2, pay_min=4000, pay_max=6000,
        skills=["焊工"], town_id=side.town.pk, start_date=dt.date(2026, 3, 1), nonce=f"matrix-vacancy-{name}",
    )  # fmt: skip
    side.objects["recruit"] = recruit_register(
        actor=system, province=province, id_number=make_ric(county, dt.date(1999, 9, 9), 901),
        name=f"新工{name}", phone="13700009999", county=county, skills=["焊工"],
    )  # fmt: skip
    side.objects["offer"] = offer_make(
        actor=system, vacancy_id=side.objects["vacancy"].pk, recruit_id=side.objects["recruit"].pk
    )
