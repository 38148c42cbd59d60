"""Finding (critical): "masked" IDs rebuilt in full. ``GET /api/v1/workers`` sent the masked ID with
the origin county and the birth date, exactly the hidden digits. The rule closing the class: one
outward form (``personal_data.person_out``) and a masked ID never beside what it hides.

The attacker takes, for every role and for a worker signed in on their own trip page (``/w/``, no
account), every outward representation (API, pages, exports, the admin, the public verification
page of every e-ticket) of the test world, pools what each shows of each person, and brute-forces
the hidden digits with the check character (``tests/privacy/attacker.py``). No person may narrow
below ``MIN_ID_CANDIDATES``; full ID numbers and phones appear only in audited reveals and, to the
signed-in worker, their own on their own trip page."""

from __future__ import annotations

import re
import statistics
import typing
from collections import defaultdict
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from homeward.apps.registry.personal_data import HIDDEN_BY_MASK, MIN_ID_CANDIDATES, PersonSchema, RevealedOut
from tests.conftest import PASSWORD
from tests.privacy.attacker import MASK_TOKEN, Knowledge, candidates, learn
from tests.privacy.outward import crawl, seeds

BUDGET = 600  # responses per crawl; reaching it would leave pages unread

pytestmark = pytest.mark.django_db


def _bindings() -> list[dict[str, object]]:
    """Values for every URL parameter of the project, from the objects of the test world."""
    from django.contrib.auth.models import User

    from homeward.apps.applications.models import ApplicationWorker, DepartmentTask, Permit, ReturnApplication
    from homeward.apps.planning.models import PlanRun, PlanVehicle
    from homeward.apps.registry.models import ExportRun, ImportRun, Worker

    out: list[dict[str, object]] = []
    rows = ApplicationWorker.objects.order_by("application_id", "pk")
    out += [
        {"application_id": a, "row_id": r}
        for a, r in {r.application_id: (r.application_id, r.pk) for r in rows}.values()
    ]
    out += [{"application_id": pk} for pk in ReturnApplication.objects.values_list("pk", flat=True)]
    out += [{"worker_id": pk} for pk in Worker.objects.values_list("pk", flat=True)]
    out += [
        {"vehicle_id": pk, "fmt": f}
        for pk in PlanVehicle.objects.values_list("pk", flat=True)
        for f in ("pdf", "xlsx")
    ]
    out += [{"vehicle_id": pk} for pk in PlanVehicle.objects.values_list("pk", flat=True)]
    out += [
        {"run_id": pk}
        for pk in (
            *PlanRun.objects.values_list("pk", flat=True),
            *ImportRun.objects.values_list("pk", flat=True),
        )
    ]
    out += [{"permit_id": pk} for pk in Permit.objects.values_list("pk", flat=True)]
    out += [{"export_id": pk} for pk in ExportRun.objects.values_list("pk", flat=True)]
    out += [  # a plan's proposed special trains, by position
        {"run_id": pk, "index": i}
        for pk, asks in PlanRun.objects.values_list("pk", "train_requests")
        for i in range(max(len(asks or []), 1))
    ]
    out += [{"task_id": pk} for pk in DepartmentTask.objects.values_list("pk", flat=True)]
    out += [{"level": lvl} for lvl in ("province", "prefecture", "county")]
    out += [{"kind": k} for k in ("roster", "police", "carrier")]
    out += [{"id": pk} for pk in User.objects.values_list("pk", flat=True)]  # the admin's user pages
    from homeward.apps.letters.models import Campaign

    out += [{"campaign_id": pk} for pk in Campaign.objects.values_list("pk", flat=True)] or [
        {"campaign_id": 1}
    ]
    from homeward.apps.teams.models import HealthStatus, Offer, TestBooking, Vacancy
    from homeward.apps.trips.models import ObservationHandover

    for name, model in (
        ("status_id", HealthStatus), ("booking_id", TestBooking), ("offer_id", Offer),
        ("vacancy_id", Vacancy), ("handover_id", ObservationHandover),
    ):  # fmt: skip
        out += [{name: pk} for pk in model.objects.values_list("pk", flat=True)] or [{name: 1}]
    return out


def _targets() -> list[tuple[str, str]]:
    """(ID number, today's county) of every person the world holds."""
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.registry.models import PoliceArrival, Worker
    from homeward.core.identity import inspect_ric

    people = dict(Worker.objects.values_list("id_number", "origin_code"))
    people.update(ApplicationWorker.objects.values_list("id_number", "origin_code"))
    for number in PoliceArrival.objects.values_list("id_number", flat=True):
        people.setdefault(number, inspect_ric(number).origin_code or number[:6])
    return sorted(people.items())


def _phones() -> dict[str, str]:
    """Phone → ID number of every person the world holds with a phone; not the work phones of the
    drivers and medical escorts, shown on purpose (the factories' worker 13800000001 is the escort's)."""
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.planning.models import Driver, MedicalEscort
    from homeward.apps.registry.models import Worker

    out = {p: n for n, p in Worker.objects.values_list("id_number", "phone") if p}
    out.update({p: n for n, p in ApplicationWorker.objects.values_list("id_number", "phone") if p})
    for staff in (Driver, MedicalEscort):
        for phone in staff.objects.values_list("phone", flat=True):
            out.pop(phone, None)
    return out


def _verify_urls() -> list[str]:
    """The public verification page of every e-ticket the plan issued (what its QR code opens)."""
    from homeward.apps.trips.models import Ticket

    tokens = Ticket.objects.order_by("pk").values_list("token", flat=True)
    assert tokens, "the world has no e-tickets to verify"
    return [f"{reverse('applications:permit-verify')}?t={t}" for t in tokens]


def _signed_in(world: dict[str, object], client: Client) -> Iterator[tuple[str, Client, object | None]]:
    """(who, their client, the worker row whose own page it is) for every role, then a worker with
    an issued e-ticket signed in through a one-time link (no account): the ``/w/`` pages seen as
    the worker, where their own full ID number and phone are shown."""
    from homeward.apps.trips.models import Ticket
    from homeward.apps.trips.services.self_service import worker_link_issue
    from tests.conftest import system_actor

    for role, user in world.items():
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        yield role, client, None
    ticket = Ticket.objects.filter(state="issued").select_related("worker").order_by("pk").first()
    assert ticket is not None
    url = worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id).url
    worker = Client()
    started = worker.post(reverse("trips:start"), {"k": url.split("?k=", 1)[1]})
    assert started.status_code == 302 and started["Location"] == reverse("trips:home")
    yield "worker_session", worker, ticket.worker


def _shown(text: str, value: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text, re.I) is not None


def test_masked_ids_never_rebuild_from_any_outward_representation(client, world):
    from homeward.core.identity import mask_phone, mask_ric

    targets = _targets()
    phones = _phones()
    by_mask = {mask_ric(n): (n, o) for n, o in targets}
    assert len(by_mask) == len(targets), "the world's masks must tell its people apart"
    urls, unfilled = seeds(_bindings())
    assert not unfilled, f"a URL parameter the attacker cannot fill (add it to _bindings): {unfilled}"
    assert {reverse(f"trips:{n}") for n in ("home", "start", "confirm", "decline", "health")} <= set(urls)
    urls += _verify_urls()
    today = timezone.localdate()
    own_page = reverse("trips:home")
    report = []
    for role, signed_in, own in _signed_in(world, client):
        responses = crawl(signed_in, urls, budget=BUDGET)
        assert len(responses) < BUDGET, f"{role}: the crawl stopped at its budget, pages unread"
        knowledge: dict[str, Knowledge] = defaultdict(Knowledge)
        unaudited = []
        for r in responses:
            if r.reveal:
                continue  # an audited reveal (a role with personal-data rights asked for it)
            # the signed-in worker's own page shows their own number and phone, and nothing else does
            theirs = {own.id_number, own.phone} if own is not None and r.url == own_page else set()
            unaudited += [(r.url, mask_ric(n)) for n, _o in targets if n in r.text and n not in theirs]
            unaudited += [(r.url, mask_phone(p)) for p in phones if p not in theirs and _shown(r.text, p)]
            for record in r.records:
                for token in set(MASK_TOKEN.findall(record)):
                    hit = by_mask.get(token) or by_mask.get(token.upper())
                    if hit:
                        learn(knowledge[hit[0]], record, hit[0], hit[1], today, r.url)
        assert not unaudited, f"{role}: full ID numbers or phones outside an audited reveal: {unaudited[:5]}"
        if own is not None:  # the crawl did reach the worker's own page, signed in
            page = next(r for r in responses if r.url == own_page)
            assert own.id_number in page.text and _shown(page.text, own.phone)
        verified = [r for r in responses if r.url.startswith(reverse("applications:permit-verify") + "?t=")]
        assert verified and all(r.status == 200 and "data-valid" in r.text for r in verified), role
        counts = {n: candidates(k, n, dict(targets)[n], today) for n, k in knowledge.items()}
        narrow = {n: c for n, c in counts.items() if c < MIN_ID_CANDIDATES}
        report.append(
            f"{role}: {len(responses)} responses, {len(counts)} people seen, candidates "
            f"min {min(counts.values(), default='-')} median {statistics.median(counts.values()) if counts else '-'}"
        )
        assert not narrow, f"{role}: IDs narrowed below {MIN_ID_CANDIDATES}: " + "; ".join(
            f"{mask_ric(n)} → {c} ({sorted(knowledge[n].sources)[:3]})" for n, c in narrow.items()
        )
    print("\n".join(["attacker:", *report]))


def _models(annotation: object) -> typing.Iterator[type]:
    """Every pydantic model inside a type annotation (lists, unions, nested models)."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        yield annotation
        for f in annotation.model_fields.values():
            yield from _models(f.annotation)
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def test_every_response_schema_with_an_id_number_goes_through_the_policy():
    """The rule, statically: an API schema carrying ``id_number`` derives from ``PersonSchema``
    (masked, no field the mask hides) or is ``RevealedOut``, answered only by ``…/reveal``."""
    from homeward.api import api

    checked = 0
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                for model in {m for r in op.response_models.values() for m in _models(r)}:
                    if "id_number" not in model.model_fields:
                        continue
                    checked += 1
                    where = f"{op.methods} {path}: {model.__name__}"
                    assert issubclass(model, (PersonSchema, RevealedOut)), where
                    assert not HIDDEN_BY_MASK & set(model.model_fields), where
                    assert not issubclass(model, RevealedOut) or path.endswith("/reveal"), where
    print(f"schemas with an id_number checked: {checked}")
    assert checked >= 5


def test_worker_api_sends_no_birth_date_beside_a_masked_id(client, town_officer, workers_a):
    """The finding as reported: ``GET /api/v1/workers`` sent ``3302**********1234`` with
    ``origin_code`` and ``birth_date``, the hidden digits. Now: the county and a ten-year age band."""
    from homeward.core.identity import mask_ric

    client.force_login(town_officer)
    items = client.get("/api/v1/workers").json()["items"]
    assert {i["id_number"] for i in items} == {mask_ric(w.id_number) for w in workers_a}
    for item in items:
        assert not HIDDEN_BY_MASK & set(item)
        worker = next(w for w in workers_a if mask_ric(w.id_number) == item["id_number"])
        assert f"{worker.birth_date:%Y%m%d}" not in str(item) and str(worker.birth_date) not in str(item)
        assert item["age_band"] in ("20–29", "30–39") and item["origin_name"] == "贵州省毕节市七星关区"


@pytest.mark.parametrize(
    ("born", "band"),
    [
        ("2010-05-02", "<20"),
        ("2006-05-01", "20–29"),
        ("2006-05-02", "<20"),
        ("1966-05-01", "60+"),
        ("1966-05-02", "50–59"),
    ],
)
def test_age_bands_turn_on_the_birthday(born, band):
    from datetime import date

    from homeward.apps.registry.personal_data import age_band

    assert age_band(date.fromisoformat(born), date(2026, 5, 1)) == band
    assert age_band(None, date(2026, 5, 1)) == ""
