"""The team's dashboard counts the workers from its province who replied to a letter home that
they intend to return (``letters.Intention``) — the heat map's intention table by origin, summed
over the province — and lists the workers away with what they answered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homeward.apps.letters.models import Intention, Reply
from homeward.apps.letters.selectors import intention_layer
from homeward.apps.teams.selectors import workspace
from tests.factories import WorkerFactory
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _replied(worker, kind="returning", *, transport=False, day=10) -> Intention:
    now = timezone.now()
    fields = {"kind": kind, "return_date": dt.date(2026, 2, day) if kind == "returning" else None,
              "county_code": worker.origin_code, "needs_transport": transport}  # fmt: skip
    reply = Reply.objects.create(person=worker, replied_at=now, nonce=f"n{worker.pk}", **fields)
    return Intention.objects.create(person=worker, reply=reply, updated_at=now, **fields)


def _away(enterprise, origin: str, n: int):
    return WorkerFactory.create_batch(n, employer=enterprise, status="away", origin_code=origin)


def _heatmap_origin_rows(page: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(r'<tr data-origin="(\d+)"><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td></tr>', page)
    return {code: (int(r), int(t)) for code, r, t in rows}


def test_the_intending_count_is_the_heat_maps_intention_table(client, enterprise_a, anhui_member) -> None:
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from tests.conftest import system_actor

    linquan = _away(enterprise_a, "341221", 7)
    for i, w in enumerate(linquan[:6]):
        _replied(w, transport=i < 2)
    _replied(linquan[6], "not_returning")
    for w in _away(enterprise_a, "341204", 5):
        _replied(w, transport=True)
    for w in _away(enterprise_a, "520502", 6):  # another province: not the Anhui team's
        _replied(w)
    snapshot = heatmap_rebuild_request(actor=system_actor(), reason="test")
    assert heatmap_rebuild_execute_now(snapshot.pk) == "done"

    ws = workspace(actor=anhui_member, now=timezone.now())
    layer = [r for r in intention_layer(actor=anhui_member, by="origin") if r["key"].startswith("34")]
    assert (ws.counts["intending"], ws.counts["intending_transport"]) == (11, 7)
    assert ws.counts["intending"] == sum(r["returning"] for r in layer)

    logged_in(client, anhui_member)
    shown = _heatmap_origin_rows(client.get("/heatmap/").content.decode())
    assert set(shown) == {"341221", "341204"}
    team_page = client.get("/team/").content.decode()
    intending = re.search(r'data-count="intending">(\d+) ', team_page)
    assert intending is not None and int(intending.group(1)) == sum(r for r, _t in shown.values()) == 11
    assert 'data-count="intending-transport"' in team_page


def test_the_away_list_shows_each_workers_intention_earliest_return_first(enterprise_a, anhui_member) -> None:
    workers = _away(enterprise_a, "341221", 4)
    _replied(workers[2], day=20, transport=True)
    _replied(workers[3], day=8)
    ws = workspace(actor=anhui_member, now=timezone.now())
    intentions = [w["intention"] for w in ws.away_workers]
    assert [i["return_date"] for i in intentions[:2]] == [dt.date(2026, 2, 8), dt.date(2026, 2, 20)]
    assert intentions[1]["needs_transport"] and intentions[2:] == [None, None]


def test_the_workspace_reads_intentions_in_a_fixed_number_of_queries(enterprise_a, anhui_member) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            workspace(actor=anhui_member, now=timezone.now())
        return len(ctx.captured_queries)

    for w in _away(enterprise_a, "341221", 3):
        _replied(w)
    few = queries()
    for w in _away(enterprise_a, "341204", 12):
        _replied(w, transport=True)
    assert queries() == few
