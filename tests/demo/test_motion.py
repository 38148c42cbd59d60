"""The demo builds its campaign day planned and in motion (issue #13 item 8): scans up to the build's
now from the plan's schedule, the designed exceptions, every demo login with something to see, and
the same plan and events relative to the day's start whatever the hour of the build."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from homeward.core import scans as rules
from homeward.demo.motion import Rider, motion_script

BEIJING = ZoneInfo("Asia/Shanghai")
START = datetime(2020, 2, 19, 8, 0, tzinfo=BEIJING)


# ------------------------------------------------------------------------------- the script (pure)


def _rider(n: int, pickup_h: float, kinds: tuple[str, ...], enterprise: int = 1) -> Rider:
    at = START + timedelta(hours=pickup_h)
    legs = []
    for i, kind in enumerate(kinds):
        legs.append(
            {
                "leg": i, "kind": kind, "vehicle_key": f"{kind[0].upper()}-{n % 4}-{i}", "seat": f"{n}A",
                "pickup": "余姚北" if i else "毕节", "pickup_at": (at + timedelta(hours=6 * i)).isoformat(),
                "destination": "工厂" if i == len(kinds) - 1 else "余姚北",
                "arrives_at": (at + timedelta(hours=6 * i + 5)).isoformat(),
            }
        )  # fmt: skip
    return Rider(f"TK-{n}-1", n, f"52010119900101{n:04d}", enterprise, tuple(legs))


RIDERS = [
    _rider(n, (n * 37 % 40) / 1.5, ("bus",) if n % 3 else ("train", "shuttle"), n % 2) for n in range(60)
]


def test_the_script_is_a_prefix_of_itself_later_in_the_day():
    """Scans up to an earlier now are exactly the later build's scans up to that time; the exceptions
    do not depend on the hour; every scan is at or before now and a rider's scans run in order."""
    early = motion_script(RIDERS, [], seed=1, start=START, now=START + timedelta(hours=17))
    late = motion_script(RIDERS, [], seed=1, start=START, now=START + timedelta(hours=39))
    key = [(s.at, s.checkpoint, s.rider.ticket_id, s.temperature) for s in early.scans]
    assert key == [
        (s.at, s.checkpoint, s.rider.ticket_id, s.temperature)
        for s in late.scans
        if s.at <= START + timedelta(hours=17)
    ]
    assert len(late.scans) > len(early.scans) > 0
    assert (early.fever, early.no_show, early.declined) == (late.fever, late.no_show, late.declined)
    assert early.fever and early.no_show and early.declined
    assert len({early.fever.ticket_id, early.no_show.ticket_id, early.declined.ticket_id}) == 3
    assert all(s.at <= START + timedelta(hours=17) for s in early.scans)
    fever = [s for s in late.scans if s.rider is late.fever]
    assert [(s.checkpoint, s.temperature) for s in fever] == [(rules.BOARD, Decimal("38.2"))]
    assert not [s for s in late.scans if s.rider in (late.no_show, late.declined)]
    for rider in RIDERS:
        times = [s.at for s in late.scans if s.rider is rider]
        assert times == sorted(times) and len(set(times)) == len(times)
    other_seed = motion_script(RIDERS, [], seed=2, start=START, now=START + timedelta(hours=39))
    assert [s.at for s in other_seed.scans] != [s.at for s in late.scans]


# ----------------------------------------------------------------------------- the demo, built


@pytest.fixture
def media(tmp_path):
    with override_settings(
        MEDIA_ROOT=str(tmp_path / "media"),
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
    ):
        yield


def _events(start: datetime) -> set[tuple[str, str, timedelta, str, str]]:
    from homeward.apps.trips.models import ScanEvent

    return {
        (idn, checkpoint, at - start, outcome, reason)
        for idn, checkpoint, at, outcome, reason in ScanEvent.objects.values_list(
            "worker__id_number", "checkpoint", "client_at", "outcome", "reason"
        )
    }


@pytest.mark.django_db
@pytest.mark.slow
def test_the_small_demo_is_planned_and_in_motion_and_every_login_sees_it(media, client):
    from homeward.apps.accounts.roles import profile_of
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
    from homeward.apps.trips.models import ScanEvent, Ticket
    from homeward.demo.generate import generate_city
    from homeward.demo.load import PASSWORD, load_city

    moment = datetime(2026, 3, 10, 14, 30, tzinfo=BEIJING)
    with time_machine.travel(moment, tick=False):
        result = load_city(generate_city("small", 1), campaign=True)
        motion = result.motion
        assert motion is not None
        run = PlanRun.objects.get()
        assert run.state == "done" and run.kpis["assigned"] > 40
        # scans: everything boarded before now, some arrived, some still on the road
        assert ScanEvent.objects.filter(checkpoint=rules.BOARD).count() == motion.boarded > 0
        assert 0 < motion.arrived < motion.boarded and motion.on_the_road > 0
        # and some not departed yet: the factories that restart later have their workers picked up
        # from 08:00 on the build's day or the morning after it, on buses of their own
        tomorrow = ApplicationWorker.objects.filter(application__pickup_from__gt=moment)
        assert tomorrow.exists() and motion.not_departed > 0
        waiting = PlanVehicle.objects.filter(run=run, departs__gt=moment)
        seats = PlanSeat.objects.filter(vehicle__run=run, worker__in=tomorrow)
        assert seats.exists() and not seats.exclude(vehicle__in=waiting).exists()
        # those of the build's day were picked up no earlier than asked (a bus leaves its base before)
        today = Ticket.objects.filter(
            worker__application__pickup_from__range=(moment - timedelta(days=1), moment)
        )
        assert today.exists()
        for ticket in today.select_related("worker__application"):
            assert (
                datetime.fromisoformat(ticket.legs[0]["pickup_at"]) >= ticket.worker.application.pickup_from
            )
        assert not ScanEvent.objects.filter(client_at__gt=moment).exists()
        assert set(ScanEvent.objects.values_list("answer", flat=True)) == {"recorded"}
        # exactly the designed exceptions: one fever (observation), one no-show, one declined seat
        observation = ScanEvent.objects.filter(outcome="observation")
        assert list(observation.values_list("checkpoint", "reason")) == [("board", "fever")]
        declined = ApplicationWorker.objects.filter(declined_at__isnull=False)
        assert declined.count() == 1
        assert Ticket.objects.get(worker=declined.get(), state="revoked").revoked_reason == "declined"
        no_show = Ticket.objects.get(ticket_id=motion.exceptions["no_show"])
        assert not ScanEvent.objects.filter(worker=no_show.worker).exists()
        assert no_show.legs[0]["pickup_at"] < moment.isoformat()
        assert set(motion.exceptions) == {"fever", "no_show", "declined"}
        # departed vehicles are dispatched; gate handovers returned workers
        assert motion.dispatched == PlanVehicle.objects.filter(run=run, departs__lte=moment).count() > 0
        gate = ScanEvent.objects.filter(checkpoint=rules.GATE)
        assert gate.count() == motion.arrived
        from homeward.apps.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="worker.returned").count() == motion.arrived
        # the heat map built after the day counts them (its as-of day reaches the last gate handover,
        # though the demo's police data is from February 2020)
        from homeward.apps.heatmap.models import WorkerStatus

        handed_over = set(gate.values_list("worker__worker_id", flat=True)) - {None}
        assert handed_over
        fused = WorkerStatus.objects.filter(worker_id__in=handed_over)
        assert set(fused.values_list("status", flat=True)) == {"returned"} and fused.count() == len(
            handed_over
        )

        # the enterprise: its workers are on the day's trips, on its seats page
        client.login(username="demo-enterprise", password=PASSWORD)
        from django.contrib.auth.models import User

        ent = profile_of(User.objects.get(username="demo-enterprise")).enterprise
        seats = PlanSeat.objects.filter(run=run, enterprise_id=ent.pk, vehicle__isnull=False).select_related(
            "vehicle"
        )
        assert seats.count() >= 5
        page = client.get("/planning/my-seats/").content.decode()
        assert seats.first().vehicle.name in page and "已发车" in page
        # the task force: the plan board is not empty
        client.login(username="demo-taskforce", password=PASSWORD)
        board = client.get("/planning/").content.decode()
        assert 'data-testid="plan-kpis"' in board and f"#{run.pk}" in board
        # the station: a planned train arrives at its place, and it scanned the arrivals there
        station = profile_of(User.objects.get(username="demo-station"))
        assert PlanVehicle.objects.filter(
            run=run, kind="train", destination_name=station.place.removesuffix("站")
        ).exists()
        assert ScanEvent.objects.filter(
            checkpoint=rules.STATION_ARRIVAL, place=station.place, scanned_by=station.user
        ).exists()
        client.login(username="demo-station", password=PASSWORD)
        assert station.place in client.get("/scan/").content.decode()
        # the service team of Guizhou: trips leave its province
        assert PlanVehicle.objects.filter(run=run, origin_area__startswith="52").exists()
        # the worker: a ticket, reached with the code the build printed
        client.logout()
        assert motion.demo_worker is not None and motion.worker_code
        response = client.post("/w/", {"code": motion.worker_code, "last4": motion.worker_last4})
        assert response.status_code == 302
        trip = client.get("/w/").content.decode()
        ticket = Ticket.objects.get(worker_id=motion.demo_worker, state="issued")
        assert 'data-testid="ticket"' in trip and ticket.ticket_id in trip
        worker_profile = profile_of(User.objects.get(username="demo-worker"))
        assert worker_profile.display_name == ApplicationWorker.objects.get(pk=motion.demo_worker).name


def _two_builds():  # type: ignore[no-untyped-def]
    """The campaign day built at 10:05 and, three days later, at 21:40 (Beijing)."""
    from homeward.apps.planning.models import PlanRun
    from homeward.apps.registry.models import Worker
    from homeward.apps.trips.models import Ticket
    from homeward.demo.campaign import campaign_reset, campaign_start
    from homeward.demo.generate import generate_city
    from homeward.demo.load import campaign_in_motion, load_city

    load_city(generate_city("small", 1))
    away = list(Worker.objects.filter(status="away").values_list("pk", flat=True))
    builds = []
    for moment in (
        datetime(2026, 3, 10, 10, 5, tzinfo=BEIJING),
        datetime(2026, 3, 13, 21, 40, tzinfo=BEIJING),
    ):
        with time_machine.travel(moment, tick=False):
            campaign_reset()  # and the registry as the city was built (gate handovers return workers)
            Worker.objects.filter(pk__in=away).update(status="away")
            motion = campaign_in_motion(scale="small", seed=1)
            start = campaign_start(moment)
            kpis = {k: v for k, v in PlanRun.objects.get().kpis.items() if "seconds" not in k}
            exceptions = {
                name: Ticket.objects.get(ticket_id=t).worker.id_number
                for name, t in motion.exceptions.items()
            }
            builds.append((kpis, exceptions, _events(start), moment - start))
    return builds


@pytest.mark.django_db
@pytest.mark.slow
def test_the_same_seed_gives_the_same_plan_and_exceptions_at_any_hour(media):
    (kpis_a, exc_a, events_a, offset_a), (kpis_b, exc_b, events_b, offset_b) = _two_builds()
    assert kpis_a == kpis_b and kpis_a["workers"] > 40
    assert exc_a == exc_b and len(exc_a) == 3
    assert offset_a < offset_b
    assert len(events_b) > len(events_a) > 0


@pytest.mark.django_db
@pytest.mark.slow
def test_the_earlier_builds_scans_are_the_later_ones_up_to_its_hour(media):
    (_, _, events_a, offset_a), (_, _, events_b, _) = _two_builds()
    assert events_a == {e for e in events_b if e[2] <= offset_a}
