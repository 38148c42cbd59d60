"""The access matrix: every API operation and every page, who may call it, on what.

``test_access_matrix`` calls each row as anonymous and as every role (one persona per role, all on
side ``own``: enterprise A, town A, province 52), on the ``own`` object and, where the row names one,
on the ``foreign`` object (enterprise B's, in town B, workers from province 34). It asserts:

- the roles in ``allow`` get ``ok`` (each call rolled back, so every allowed role starts from the
  same world); on a foreign object only the unscoped ones among them (``world.SCOPED`` roles get 404);
- everyone else gets 401 (API, anonymous), a redirect to the login page (pages, anonymous), or
  403/404; the database is unchanged and a ``denied.*`` audit event names the persona;
- a list row (``sees``) shows the own side's ``marker`` to those roles only, and the foreign one to
  the unscoped among them.

``test_every_endpoint_is_in_the_matrix`` fails when an API operation (from the OpenAPI schema) or a
page route (from the URL resolver) has no row here, and when a row names one that no longer exists.

Adding an endpoint: add a row to ``API`` (keyed ``"METHOD /api/v1/path/{param}"`` as in the OpenAPI
schema) or ``PAGES`` (keyed ``"METHOD route"`` as in ``urls.py``, e.g. ``"GET tasks/<int:task_id>/"``);
give it the roles of its action in ``accounts.policy.ACTIONS`` as ``allow``, the world object it acts
on as ``obj`` (see ``world.World.params`` for the kinds: ``draft``, ``accepted``, ``task_hr``,
``permit_issued``, ``vehicle``, ...; add a kind there if yours is new), a ``body`` or ``query``
(a value, or a function of ``(world, side)``) and the status that means success as ``ok``. A route
with two methods gets two rows; one endpoint may have several rows (e.g. on objects in two states).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.access.world import HR_DATA, RECEPTION_DATA, ROLES, WORKER_SESSION
from tests.applications.conftest import HEALTH_DATA, TRANSPORT_DATA

ANY = frozenset(ROLES)  # every signed-in role
PUBLIC = frozenset({*ROLES, "anonymous", WORKER_SESSION})
WS = frozenset({WORKER_SESSION})  # the worker on their own page
T = frozenset({"taskforce"})
HR, TR, HE = "dept_hr", "dept_transport", "dept_health"
DEPTS = frozenset({HR, TR, HE})
CITY = T | DEPTS
APP_READERS = CITY | {"town", "enterprise"}
SCOPED_READERS = APP_READERS | {"service_team"}
OWNERS = T | {"enterprise"}
TEAMS = T | {"service_team"}


@dataclass(frozen=True)
class Upload:
    """A file field in a multipart POST: ``name`` and ``content`` (bytes)."""

    name: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    key: str  # "METHOD /api/v1/..." or "METHOD route"
    allow: frozenset[str]
    obj: str | None = None  # the world object the path names (World.params)
    body: Any = None  # dict (JSON for the API, form for pages), Upload, or f(world, side)
    query: Any = None  # dict or f(world, side) for GET parameters
    ok: int = 200
    params: dict[str, str] = field(default_factory=dict)  # fixed path parameters
    sees: frozenset[str] | None = None  # a list: who sees the own side's marker
    marker: Callable[[Any, str], str] | None = None
    foreign: bool | None = None  # call on the foreign side too (default: when obj is set)
    foreign_status: int = 404  # what an allowed scoped role gets on the foreign side
    login: str = "/login/"  # where a refused anonymous visitor of a page is sent
    # scoped roles that see the foreign object though they may not act on it (a service team sees
    # every open vacancy): refused with 403 rather than 404
    seen_by: frozenset[str] = frozenset()

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.key.split(" ", 1)[1]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def sides(self) -> tuple[str, ...]:
        both = self.foreign if self.foreign is not None else self.obj is not None
        return ("own", "foreign") if both else ("own",)


def url_of(row: Row, world: Any, side: str) -> str:
    """The row's path with its parameters filled from the world's object of ``side``."""
    params: dict[str, object] = {**row.params, **(world.params(row.obj, side) if row.obj else {})}
    if row.is_api:
        return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), row.path)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), row.path)


def call(client: Any, row: Row, world: Any, side: str) -> Any:
    """The row's request on the object of ``side``, with its body or query (a Django test client)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = row.body(world, side) if callable(row.body) else row.body
    query = row.query(world, side) if callable(row.query) else (row.query or {})
    url = url_of(row, world, side)
    if row.method == "GET":
        return client.get(url, query)
    if row.method == "DELETE":
        return client.delete(url)
    if isinstance(body, Upload):
        return client.post(url, {**body.fields, "file": SimpleUploadedFile(body.name, body.content)})
    if row.is_api:
        return client.post(url, body or {}, content_type="application/json")
    return client.post(url, body or {})


# ----------------------------------------------------------------------------------- bodies, markers


def _csv(rows: list[list[str]], header: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def worker_list(world: Any, side: str) -> Upload:
    """The side's free roster workers as an application's worker list."""
    free = world.sides[side].free
    rows = [[w.id_number, w.name, w.phone, w.origin_code, "绿码"] for w in free[:3]]
    return Upload("list.csv", _csv(rows, ["身份证号", "姓名", "手机号", "接送区县", "健康码"]))


def new_worker(world: Any, side: str) -> dict[str, str]:
    w = world.sides[side].free[0]
    return {"id_number": w.id_number, "name": w.name, "phone": w.phone, "pickup_county": w.origin_code}


def gate_scan(world: Any) -> dict[str, Any]:
    import datetime as dt

    ticket = world.shared["worker_ticket"]
    at = dt.datetime.now(dt.UTC).isoformat()
    scan = {"nonce": "matrix-scan-1", "checkpoint": "gate", "token": ticket.token, "client_at": at}
    return {"scans": [scan | {"place": "余姚北站"}]}


def handover(world: Any) -> dict[str, Any]:
    scan = world.shared["observation_scan"]
    return {"scan_id": scan.pk, "rear_seat": "末排", "health_post": "余姚北站健康点", "received_by": "王医生"}


def roster_pick(world: Any, side: str) -> dict[str, Any]:
    return {"worker_ids": [world.sides[side].free[0].pk]}


def new_draft(world: Any, side: str) -> dict[str, Any]:
    return {"enterprise_id": world.sides[side].enterprise.pk}


def roster_file(world: Any, side: str) -> Upload:
    header = ["统一社会信用代码", "企业名称", "所在镇街", "身份证号", "姓名", "手机号", "参保日期"]
    e = world.sides[side].enterprise
    w = world.sides[side].free[0]
    return Upload(
        "roster.csv", _csv([[e.uscc, e.name, e.town.name, w.id_number, w.name, w.phone, ""]], header)
    )


def roster_form(world: Any, side: str) -> Upload:
    upload = roster_file(world, side)
    return Upload(upload.name, upload.content, {"kind": "roster"})


def drivers_form(world: Any, side: str) -> Upload:
    content = "姓名,驾驶证号,手机号,驻地\n张师傅,330282000009,13912345670,慈溪\n".encode()
    return Upload("drivers.csv", content, {"kind": "drivers"})


def token_of(world: Any, side: str) -> dict[str, str]:
    return {"token": world.sides[side].objects["permit_issued"].token}


def page_token(world: Any, side: str) -> dict[str, str]:
    return {"t": world.sides[side].objects["permit_issued"].token}


def traced_worker(world: Any, side: str) -> dict[str, str]:
    """A passenger of the plan's bus, as the contact-tracing pages name a case."""
    seat = world.shared["vehicle"].seat_rows.order_by("pk").first()
    return {"worker": str(seat.worker_id)}


def worker_code(world: Any, side: str) -> dict[str, str]:
    ticket, link = world.shared["worker_ticket"], world.shared["worker_link"]
    return {"code": link.code, "last4": ticket.worker.id_number[-4:]}


def fresh_link(world: Any, side: str) -> dict[str, str]:
    """A new one-time link's token for each call (a link works once)."""
    from homeward.apps.trips.services.self_service import worker_link_issue
    from tests.conftest import system_actor

    issued = worker_link_issue(actor=system_actor(), worker_id=world.shared["worker_ticket"].worker_id)
    return {"k": issued.url.split("?k=", 1)[1]}


def reply_form(world: Any, side: str) -> dict[str, str]:
    return {"kind": "not_returning", "reason": "家中有事", "nonce": "matrix-reply"}


def new_campaign(world: Any, side: str) -> dict[str, str]:
    """The world's campaign again (its name and text are the world's data)."""
    return {
        "name": "矩阵家书",
        "template": "{姓名} {链接}",
        "hotline": "12345",
        "channel": "file",
        "origin": "520000",
    }


def intention_name(world: Any, side: str) -> str:
    return world.sides[side].objects["intention"].person.name


def intention_pick(world: Any, side: str) -> dict[str, str]:
    return {"person": str(world.sides["own"].objects["intention"].person_id)}


def health_form(world: Any, side: str) -> dict[str, str]:
    return {"health_code": "green", "temperature": "36.5", "nonce": "matrix"}


def outside_filters(world: Any, side: str) -> dict[str, Any]:
    """Heat-map filters: none on the own side; the foreign side's town, enterprise and province."""
    if side == "own":
        return {}
    s = world.sides["foreign"]
    return {"town": s.town.code, "enterprise": s.enterprise.pk, "province": "34"}


def enterprise_name(world: Any, side: str) -> str:
    return str(world.sides[side].enterprise.name)


def town_name(world: Any, side: str) -> str:
    return str(world.sides[side].town.name)


def worker_name(world: Any, side: str) -> str:
    return str(world.sides[side].objects["worker"].name)


def permit_id(world: Any, side: str) -> str:
    return str(world.sides[side].objects["permit_issued"].permit_id)


def team_province(world: Any, side: str) -> dict[str, str]:
    """The team page of the side's origin province (own 52, foreign 34)."""
    return {"province": "52" if side == "own" else "34"}


def team_health(world: Any, side: str) -> dict[str, str]:
    w = world.sides["own"].free[0]
    return {"province": "52", "id_number": w.id_number, "health_code": "green", "code_province": "52",
            "test_result": "", "nonce": "matrix-team-health"}  # fmt: skip


def team_tests(world: Any, side: str) -> dict[str, str]:
    return {"province": "52", "vehicle_key": world.shared["vehicle"].key, "place": "毕节市疾控中心",
            "scheduled_at": "2026-02-20T08:00"}  # fmt: skip


def booking_result(world: Any, side: str) -> dict[str, str]:
    return {"test_result": "negative", "tested_at": "2026-02-19T08:00", "nonce": f"matrix-result-{side}"}


def new_recruit(world: Any, side: str) -> dict[str, str]:
    import datetime as dt

    from tests.factories import make_ric

    name = world.sides["own"].roster[1].name  # names the world holds (the page-language scan knows them)
    return {"province": "52", "id_number": make_ric("520502", dt.date(2000, 1, 2), 902), "name": name,
            "phone": "13700008888", "county": "520502", "skills": "焊工", "pay_wanted": "5000"}  # fmt: skip


def new_vacancy(world: Any, side: str) -> dict[str, str]:
    s = world.sides["own"]
    return {"enterprise": str(s.enterprise.pk), "role": "焊工own", "count": "3", "pay_min": "4000", "pay_max": "5000",
            "skills": "焊工", "town": str(s.town.pk), "start_date": "2026-03-01", "nonce": "matrix-new-vacancy"}  # fmt: skip


def offered_recruit(world: Any, side: str) -> dict[str, str]:
    """Offer the side's vacancy to the other side's recruit (an enterprise sees every recruit)."""
    other = "foreign" if side == "own" else "own"
    return {"recruit": str(world.sides[other].objects["recruit"].pk)}


def _task(kind: str, allowed: frozenset[str], data: dict[str, Any], *, page: bool = False) -> Row:
    if page:
        return Row("POST tasks/<int:task_id>/complete/", allowed, obj=kind, body=data, ok=302)
    return Row("POST /api/v1/tasks/{task_id}/complete", allowed, obj=kind, body={"data": data})


# ------------------------------------------------------------------------------------------------ API

HEATMAP = {"query": outside_filters, "foreign": True, "foreign_status": 403}

API: list[Row] = [
    # registries
    Row("GET /api/v1/me", ANY),
    Row("GET /api/v1/towns", ANY),
    Row("GET /api/v1/enterprises", SCOPED_READERS, sees=APP_READERS, marker=enterprise_name, foreign=True),
    Row("GET /api/v1/workers", SCOPED_READERS, sees=SCOPED_READERS, marker=worker_name, foreign=True),
    Row("POST /api/v1/workers/{worker_id}/reveal", T | {HE}, obj="worker"),
    Row("GET /api/v1/imports/{run_id}", T, obj="import_run"),
    Row("POST /api/v1/imports/{kind}", T, params={"kind": "roster"}, body=roster_file, ok=202),
    # applications
    Row("GET /api/v1/applications", APP_READERS, sees=APP_READERS, marker=enterprise_name, foreign=True),
    # on the foreign side an enterprise names another enterprise: 404 (a draft was made for its own)
    Row("POST /api/v1/applications", OWNERS, body=new_draft, ok=201, foreign=True),
    Row("GET /api/v1/applications/{application_id}", OWNERS, obj="draft"),
    Row("GET /api/v1/applications/{application_id}", APP_READERS, obj="accepted"),
    Row("POST /api/v1/applications/{application_id}/upload", OWNERS, obj="draft", body=worker_list),
    Row("POST /api/v1/applications/{application_id}/workers", OWNERS, obj="draft", body=new_worker, ok=201),
    Row("POST /api/v1/applications/{application_id}/workers/from-roster", OWNERS, obj="draft", body=roster_pick),
    Row("DELETE /api/v1/applications/{application_id}/workers/{row_id}", OWNERS, obj="draft"),
    Row("POST /api/v1/applications/{application_id}/workers/{row_id}/reveal", T | {HE}, obj="accepted"),
    Row(
        "POST /api/v1/applications/{application_id}/workers/{row_id}/replace",
        OWNERS, obj="accepted", body=new_worker, ok=201,
    ),  # fmt: skip
    Row("POST /api/v1/applications/{application_id}/submit", OWNERS, obj="draft"),
    Row("POST /api/v1/applications/{application_id}/accept", T | {"town"}, obj="submitted"),
    Row("POST /api/v1/applications/{application_id}/cancel", OWNERS | {"town"}, obj="submitted", body={}),
    Row("POST /api/v1/applications/{application_id}/transition", T, obj="accepted", body={"to": "planned"}),
    Row("GET /api/v1/applications/{application_id}/case", APP_READERS, obj="accepted"),
    Row("GET /api/v1/tasks", CITY | {"town"}, sees=CITY | {"town"}, marker=enterprise_name, foreign=True),
    _task("task_transport", T | {TR}, TRANSPORT_DATA),
    _task("task_health", T | {HE}, HEALTH_DATA),
    _task("task_hr", T | {HR}, HR_DATA),
    _task("task_reception", T | {"town"}, RECEPTION_DATA),
    Row("GET /api/v1/permits", APP_READERS, sees=APP_READERS, marker=permit_id, foreign=True),
    Row("GET /api/v1/permits/verify", PUBLIC, query=token_of),
    Row("GET /api/v1/permits/keys", PUBLIC),
    Row("GET /api/v1/permits/{permit_id}", APP_READERS, obj="permit_issued"),
    Row("POST /api/v1/permits/{permit_id}/sign", DEPTS, obj="permit_drafted"),
    Row("POST /api/v1/permits/{permit_id}/revoke", T, obj="permit_issued", body={}),
    Row("GET /api/v1/permits/{permit_id}/pdf", APP_READERS, obj="permit_issued"),
    # heat map
    Row("GET /api/v1/heatmap", SCOPED_READERS, **HEATMAP),
    Row("GET /api/v1/heatmap/hotspots", SCOPED_READERS, **HEATMAP),
    Row("GET /api/v1/heatmap/shortfall/enterprises", SCOPED_READERS, **HEATMAP),
    Row("GET /api/v1/heatmap/shortfall/towns", SCOPED_READERS, **HEATMAP),
    Row("GET /api/v1/heatmap/crosscheck", CITY | {"service_team"}),
    Row("GET /api/v1/heatmap/geojson/{level}", SCOPED_READERS, params={"level": "prefecture"}, **HEATMAP),
    Row("GET /api/v1/heatmap/status", SCOPED_READERS),
    Row("POST /api/v1/heatmap/rebuild", T, body={}, ok=202),
    # planning
    Row("GET /api/v1/plans/latest", T),
    Row("POST /api/v1/plans/{run_id}/permits", T | {TR}, obj="plan_run"),
    Row("POST /api/v1/plans", T, body={"seed": 1}, ok=202),
    # the command dashboard: the task force, the departments (read-only) and town officers (own town)
    Row("GET /api/v1/command/board", CITY | {"town"}),
    # a gate handover of side own's ticket holder (the enterprise's own worker; the station persona's place)
    Row("POST /api/v1/scans", T | {"station", "escort", "enterprise"}, body=lambda world, side: gate_scan(world)),
    # the scanner's passenger list (the escort's vehicle, the station's arrivals) and a hand-over of the
    # world's observation scan (made at the station persona's place, on the escort persona's vehicle)
    Row("GET /api/v1/scans/manifest", T | {"station", "escort"}),
    Row("POST /api/v1/observations/handover", T | {"station", "escort"}, body=lambda world, side: handover(world)),
    # the SMS gateway only (by its shared secret, tested in tests/letters/test_sms_inbound.py): no role
    Row("POST /api/v1/letters/sms-inbound", frozenset(), body={"messages": [{"id": "m1", "phone": "1", "text": "退订"}]}),
]  # fmt: skip


# ---------------------------------------------------------------------------------------------- pages

PAGES: list[Row] = [
    Row("POST i18n/setlang/", PUBLIC, body={"language": "en", "next": "/"}, ok=302),
    Row("GET ", ANY),
    Row("GET login/", PUBLIC),
    # No task worker beats in the test world, so the answer (to anyone, no sign-in) is "unhealthy".
    Row("GET healthz", PUBLIC, ok=503),
    Row("GET favicon.ico", PUBLIC, ok=302),
    Row("POST logout/", PUBLIC, ok=302),
    # registries and imports
    Row("GET enterprises/", SCOPED_READERS, sees=APP_READERS, marker=enterprise_name, foreign=True),
    Row("GET workers/", SCOPED_READERS, sees=SCOPED_READERS, marker=worker_name, foreign=True),
    Row("POST workers/<int:worker_id>/reveal/", T | {HE}, obj="worker"),
    Row("POST workers/export/", SCOPED_READERS, ok=202),
    # an export is its creator's alone: the world's is the task force persona's
    Row("GET exports/<int:export_id>/", T, obj="export_run", foreign=False),
    Row("GET exports/<int:export_id>/download/", T, obj="export_run", foreign=False),
    Row("GET imports/", T),
    Row("GET imports/upload/", T),
    Row("POST imports/upload/", T, body=roster_form, ok=302),
    Row("GET imports/<int:run_id>/", T, obj="import_run"),
    Row("GET imports/<int:run_id>/status/", T, obj="import_run"),
    Row("GET imports/<int:run_id>/rejected.xlsx", T, obj="import_run"),
    # the home city and the audit trail
    Row("GET setup/", T),
    Row("POST setup/", T, body={"code": "330282"}, ok=302),
    Row("GET audit/", T),
    Row("GET audit/export.xlsx", T),
    # applications
    Row("GET applications/", APP_READERS, sees=APP_READERS, marker=enterprise_name, foreign=True),
    Row("POST applications/new/", OWNERS, body=new_draft, ok=302),
    Row("GET applications/<int:application_id>/", OWNERS, obj="draft"),
    Row("GET applications/<int:application_id>/", APP_READERS, obj="accepted"),
    Row("GET applications/<int:application_id>/clock/", APP_READERS, obj="accepted"),
    Row("POST applications/<int:application_id>/upload/", OWNERS, obj="draft", body=worker_list),
    Row("POST applications/<int:application_id>/submit/", OWNERS, obj="draft", ok=302),
    Row("POST applications/<int:application_id>/accept/", T | {"town"}, obj="submitted", ok=302),
    Row("POST applications/<int:application_id>/cancel/", OWNERS | {"town"}, obj="submitted", ok=302),
    Row("POST applications/<int:application_id>/workers/<int:row_id>/remove/", OWNERS, obj="draft", ok=302),
    Row("POST applications/<int:application_id>/workers/<int:row_id>/reveal/", T | {HE}, obj="accepted"),
    Row("GET tasks/", CITY | {"town"}),
    _task("task_transport", T | {TR}, TRANSPORT_DATA, page=True),
    _task("task_reception", T | {"town"}, RECEPTION_DATA, page=True),
    Row("POST permits/<int:permit_id>/sign/", DEPTS, obj="permit_drafted", ok=302),
    Row("POST permits/<int:permit_id>/fill/", T | {TR}, obj="permit_road_drafted", ok=302,
        body={"entry_station": "毕节东收费站"}),  # fmt: skip
    Row("GET permits/<int:permit_id>/pdf/", APP_READERS, obj="permit_issued"),
    Row("GET permits/verify/", PUBLIC, query=page_token),
    # the worker's own page (no account): sign in by code or one-time link, then act as that worker only
    Row("POST applications/<int:application_id>/workers/<int:row_id>/link/", OWNERS, obj="accepted"),
    Row("GET w/", PUBLIC),
    Row("POST w/", PUBLIC, body=worker_code, ok=302),
    Row("GET w/start/", PUBLIC, query={"k": "not-a-link"}),
    Row("POST w/start/", PUBLIC, body=fresh_link, ok=302),
    Row("POST w/confirm/", WS, ok=302, login="/w/"),
    Row("POST w/decline/", WS, ok=302, login="/w/"),
    Row("POST w/health/", WS, body=health_form, ok=302, login="/w/"),
    Row("POST w/signout/", PUBLIC, ok=302),
    Row("GET w/reply/", WS, login="/w/"),
    Row("POST w/reply/", WS, body=reply_form, login="/w/"),
    # letters home
    Row("GET letters/", T),
    Row("POST letters/", T, body=new_campaign, ok=302),
    Row("GET letters/<int:campaign_id>/", T, obj="campaign"),
    Row("GET letters/<int:campaign_id>/status/", T, obj="campaign"),
    Row("POST letters/<int:campaign_id>/send/", T, obj="campaign", ok=302),
    Row("POST letters/<int:campaign_id>/resume/", T, obj="campaign", ok=302),
    Row("GET letters/intentions/", OWNERS, sees=OWNERS, marker=intention_name, foreign=True),
    Row("POST letters/intentions/apply/", OWNERS, body=intention_pick, ok=302, foreign=False),
    Row("GET command/", CITY | {"town"}),
    Row("GET scan/", T | {"station", "escort", "enterprise"}),
    Row("GET observations/", T | {HE}),
    Row("POST observations/<int:handover_id>/outcome/", T | {HE}, obj="handover", foreign=False,
        body={"outcome": "cleared"}, ok=302),  # fmt: skip
    Row("GET tracing/", T | {HE}, query=traced_worker),
    Row("GET tracing/contacts.xlsx", T | {HE}, query=traced_worker),
    # the daily report: a town officer sees their town's row only (and never the other town's name)
    Row("GET report/daily/", T | {"town"}, sees=T | {"town"}, marker=town_name, foreign=True),
    Row("GET report/daily.<str:fmt>", T | {"town"}, params={"fmt": "xlsx"}),
    Row("GET report/daily.<str:fmt>", T | {"town"}, params={"fmt": "pdf"}),
    # service teams: their own province's workspace (another province's is refused), statuses, tests
    Row("GET team/", TEAMS, query=team_province, foreign=True, foreign_status=403),
    Row("POST team/health/", TEAMS, body=team_health, ok=302),
    Row("POST team/health/<int:status_id>/verify/", TEAMS, obj="health_status", ok=302),
    Row("POST team/tests/", TEAMS, body=team_tests, ok=302),
    Row("POST team/tests/<int:booking_id>/result/", TEAMS, obj="test_booking", body=booking_result, ok=302),
    Row("GET team/recruits/", TEAMS, query=team_province, foreign=True, foreign_status=403),
    Row("POST team/recruits/", TEAMS, body=new_recruit, ok=302),
    Row("POST team/offers/<int:offer_id>/accept/", TEAMS, obj="offer", ok=302),
    # job demand exchange: a team sees every open vacancy, an enterprise its own
    Row("GET vacancies/", TEAMS | {"enterprise"}),
    Row("POST vacancies/", OWNERS, body=new_vacancy, ok=302),
    Row(
        "POST vacancies/<int:vacancy_id>/offers/", OWNERS, obj="vacancy", body=offered_recruit, ok=302,
        seen_by=frozenset({"service_team"}),
    ),
    # heat map
    Row("GET heatmap/", SCOPED_READERS),
    Row("GET heatmap/tables/", SCOPED_READERS, **HEATMAP),
    Row("GET heatmap/status/", SCOPED_READERS),
    Row("POST heatmap/rebuild/", T),
    Row("GET heatmap/export/", SCOPED_READERS, **HEATMAP),
    Row("GET heatmap/boundaries/<str:level>.json", ANY, params={"level": "province"}),
    Row("GET heatmap/screen/", SCOPED_READERS),
    # planning
    Row("GET planning/", T),
    Row("GET planning/status/", T),
    Row("POST planning/run/", T, body={"seed": "1"}),
    Row("GET planning/vehicles/", T),
    Row("GET planning/unassigned/", T),
    Row("GET planning/unassigned.xlsx", T),
    Row("GET planning/late/", T),
    Row("POST planning/runs/<int:run_id>/train-requests/<int:index>/accept/", T, obj="plan_run"),
    Row("GET planning/runs/<int:run_id>/map.json", T, obj="plan_run"),
    Row("POST planning/runs/<int:run_id>/permits/", T | {TR}, obj="plan_run"),
    Row("GET planning/vehicles/<int:vehicle_id>/", T | {TR, HE}, obj="vehicle"),
    Row("GET planning/vehicles/<int:vehicle_id>/manifest.<str:fmt>", T | {TR, HE}, obj="vehicle"),
    Row("POST planning/vehicles/<int:vehicle_id>/dispatch/", T, obj="vehicle"),
    Row("GET planning/my-seats/", frozenset({"enterprise"})),
    Row("GET planning/resources/", T),
    Row("POST planning/resources/", T, body=drivers_form),
]  # fmt: skip

# The Django admin (every route under admin/): staff only, i.e. the task force.
ADMIN_ALLOW = T
