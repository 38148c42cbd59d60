"""A road pass must fit a scannable QR code: when its fields grow (a toll station filled in over
待定), it gives up route places, keeping the first places and the last and saying how many it left
out — counted over the full route, also when the route was already shortened once."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.core.permits import (
    LegKind,
    PermitTooLarge,
    RoadPass,
    TicketLeg,
    fitted_road_pass,
    fitted_ticket,
    refitted,
    shorter_routes,
)
from homeward.core.permits.model import MAX_BODY_BYTES, MAX_ITEMS, MAX_TICKET_BODY_BYTES
from homeward.core.permits.samples import sample_road_pass

LEFT_OUT = re.compile(r"^…另 (\d+) 处$")


def _places(route: tuple[str, ...]) -> int:
    """How many places of the full route ``route`` stands for."""
    return sum(int(m[1]) if (m := LEFT_OUT.match(p)) else 1 for p in route)


@given(n=st.integers(min_value=1, max_value=40), cut=st.integers(min_value=0, max_value=40))
def test_every_shorter_route_stands_for_the_whole_route(n, cut):
    route = tuple(f"地点{i}" for i in range(n))
    candidates = list(shorter_routes(route))
    assert candidates[0] == route and all(c[-1] == route[-1] for c in candidates)
    assert all(_places(c) == n for c in candidates)
    assert [len(c) for c in candidates] == sorted((len(c) for c in candidates), reverse=True)
    # shortening a shortened route again still counts the places of the first one
    once = candidates[min(cut, len(candidates) - 1)]
    assert all(_places(c) == n and c[0] == route[0] for c in shorter_routes(once))


def _long_pass() -> RoadPass:
    """A pass whose route nearly fills the QR code's budget."""
    base = sample_road_pass()
    route = tuple(f"{base.origin}第{i}个上车点（某某街道某某村文化礼堂门口）" for i in range(40))
    return fitted_road_pass(
        route, **{f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.name != "route"}
    )


@given(n=st.integers(min_value=1, max_value=120))
def test_a_route_of_any_length_makes_a_pass_naming_its_first_and_last_place(n):
    """A bus pooling many pickups (the city demo's plan had one over 40 places) still gets its pass:
    at most ``MAX_ITEMS`` places, the first and the last kept, the rest counted."""
    base = sample_road_pass()
    route = tuple(f"地点{i}" for i in range(n))
    rp = fitted_road_pass(
        route, **{f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.name != "route"}
    )
    assert len(rp.route) <= MAX_ITEMS and rp.route[0] == route[0] and rp.route[-1] == route[-1]
    assert _places(rp.route) == n


def test_filling_in_a_long_toll_station_shortens_the_route_instead_of_failing():
    before = _long_pass()
    assert len(before.body()) <= MAX_BODY_BYTES and _places(before.route) == 40
    station = "杭州湾跨海大桥南岸收费站"
    with pytest.raises(PermitTooLarge):  # as it was: the same route does not fit any more
        dataclasses.replace(before, entry_station=station, exit_station=station)
    after = refitted(before, entry_station=station, exit_station=station)
    assert (after.entry_station, after.exit_station) == (station, station)
    assert len(after.body()) <= MAX_BODY_BYTES and len(after.route) < len(before.route)
    assert (
        _places(after.route) == 40
        and after.route[0] == before.route[0]
        and after.route[-1] == before.route[-1]
    )


def test_a_field_no_route_can_make_room_for_is_refused_in_both_languages():
    with pytest.raises(PermitTooLarge) as exc:
        refitted(sample_road_pass(), organiser="慈溪市企业复工复产返岗专班" * 12)
    assert exc.value.code == "invalid_permit" and "二维码放不下" in exc.value.message
    assert "fit a scannable QR code" in exc.value.message


# --- tickets: a three-leg ticket with long place names cuts the names, not the ticket ---------------

_PLACE = st.text(
    alphabet=st.sampled_from("慈溪余姚北站贵阳北宁波某某村文化礼堂门口广场ABC12"), min_size=1, max_size=40
).map(lambda s: s.strip() or "站")


@given(
    places=st.lists(st.tuples(_PLACE, _PLACE), min_size=1, max_size=3),
    vehicle=st.sampled_from(["浙B·12345", "慈溪号 D5931", "贵A·D7788X", "接驳车 12"]),
    seat=st.sampled_from(["—", "12", "7车 15F", "后排 3"]),
)
def test_a_ticket_fits_its_qr_code_whatever_its_place_names(places, vehicle, seat):
    start = datetime(2020, 2, 12, 0, 0, tzinfo=UTC)
    legs = tuple(
        TicketLeg(
            leg=i,
            kind=LegKind.BUS,
            vehicle=vehicle,
            pickup=pickup,
            pickup_at=start + timedelta(hours=i),
            seat=seat,
            destination=destination,
            escort_phone="13800138000",
        )  # fmt: skip
        for i, (pickup, destination) in enumerate(places)
    )
    ticket = fitted_ticket(
        legs, permit_id="TK-1-0001", valid_from=start, valid_to=start + timedelta(days=2), run=1, worker=7,
        holder="张＊", id_tail="123X",
    )  # fmt: skip
    assert len(ticket.body()) <= MAX_TICKET_BODY_BYTES
    for given_leg, kept in zip(legs, ticket.legs, strict=True):
        # what a checkpoint matches is never cut; a place is kept whole or cut to a prefix and "…"
        assert (kept.vehicle, kept.seat, kept.pickup_at) == (
            given_leg.vehicle,
            given_leg.seat,
            given_leg.pickup_at,
        )
        for whole, cut in ((given_leg.pickup, kept.pickup), (given_leg.destination, kept.destination)):
            assert cut == whole or (cut.endswith("…") and whole.startswith(cut[:-1].rstrip()))


def test_a_ticket_that_fits_keeps_its_place_names_whole():
    start = datetime(2020, 2, 12, 0, 0, tzinfo=UTC)
    leg = TicketLeg(
        leg=0, kind=LegKind.BUS, vehicle="浙B·12345", pickup="贵阳北站", pickup_at=start, seat="3",
        destination="慈溪", escort_phone="",
    )  # fmt: skip
    ticket = fitted_ticket(
        (leg,), permit_id="TK-1-0002", valid_from=start, valid_to=start + timedelta(days=1), run=1, worker=8,
        holder="李＊", id_tail="0001",
    )  # fmt: skip
    assert ticket.legs == (leg,)
