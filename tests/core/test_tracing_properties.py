"""The contact-tracing rule of ``core.tracing`` (DESIGN §5): examples, and properties over any
bus or train load (the case never its own contact, sealed = everyone, ventilated ⊆ sealed, the
ventilated rule symmetric between riders)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeward.core import tracing as rule
from homeward.core.tracing import Rider, Vehicle

# Bus seats as the planner writes them ("3A"), bare numbers ("12"), and nothing or junk.
bus_seats = st.one_of(
    st.builds(lambda r, c: f"{r}{c}", st.integers(1, 14), st.sampled_from("ABCD")),
    st.integers(1, 56).map(str),
    st.sampled_from(["", "X9", "后排"]),
)
train_seats = st.one_of(
    st.builds(lambda c, s: f"{c:02d}车{s:03d}", st.integers(1, 4), st.integers(1, 100)),
    st.just(""),
)


def loads(seats: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[Rider, ...]]:
    return st.lists(seats, min_size=1, max_size=30).map(
        lambda labels: tuple(Rider(who=i + 1, seat=s) for i, s in enumerate(labels))
    )


crews = st.lists(st.sampled_from(["司机甲", "司机乙", "医生甲"]), max_size=3, unique=True).map(tuple)


def riders_of(contacts: tuple[rule.Contact, ...]) -> set[int]:
    return {c.who for c in contacts if c.who is not None}


def test_seat_labels_map_to_rows_and_carriages() -> None:
    assert rule.bus_row("3A") == 3
    assert rule.bus_row("12") == 3  # the 12th seat, four a row
    assert rule.bus_row("13") == 4
    assert rule.bus_row("") is None and rule.bus_row("后排") is None
    assert rule.carriage("01车012") == 1 and rule.carriage("12车001") == 12
    assert rule.carriage("3A") is None


def test_a_ventilated_bus_takes_three_rows_either_way_and_the_crew() -> None:
    riders = tuple(Rider(i, f"{i}A") for i in range(1, 11))  # one rider a row, rows 1..10
    contacts = rule.close_contacts(Rider(5, "5A"), Vehicle("bus", riders, ("司机甲",), ventilated=True))
    assert riders_of(contacts) == {2, 3, 4, 6, 7, 8}
    assert [c.crew for c in contacts if c.basis == rule.CREW] == ["司机甲"]
    sealed = rule.close_contacts(Rider(5, "5A"), Vehicle("bus", riders, ("司机甲",)))
    assert riders_of(sealed) == set(range(1, 11)) - {5}
    assert {c.basis for c in sealed} == {rule.SEALED, rule.CREW}


def test_a_train_takes_the_carriage_only() -> None:
    riders = (Rider(1, "01车001"), Rider(2, "01车090"), Rider(3, "02车001"), Rider(4, ""))
    contacts = rule.close_contacts(Rider(1, "01车001"), Vehicle("train", riders, ("乘警",)))
    assert riders_of(contacts) == {2, 4}  # the unknown seat counts, the crew is not named
    assert all(c.basis == rule.SAME_CARRIAGE for c in contacts)


@given(load=loads(bus_seats), crew=crews, data=st.data(), ventilated=st.booleans())
def test_the_case_is_never_its_own_contact(load, crew, data, ventilated) -> None:
    case = data.draw(st.sampled_from(load))
    for kind in ("bus", "shuttle", "train"):
        assert case.who not in riders_of(rule.close_contacts(case, Vehicle(kind, load, crew, ventilated)))


@given(load=loads(bus_seats), crew=crews, data=st.data())
def test_a_sealed_bus_is_everyone_on_board(load, crew, data) -> None:
    case = data.draw(st.sampled_from(load))
    contacts = rule.close_contacts(case, Vehicle("bus", load, crew))
    assert riders_of(contacts) == {r.who for r in load} - {case.who}
    assert tuple(c.crew for c in contacts if c.who is None) == crew


@given(load=loads(bus_seats), crew=crews, data=st.data())
def test_ventilated_is_a_subset_of_sealed(load, crew, data) -> None:
    case = data.draw(st.sampled_from(load))
    sealed = rule.close_contacts(case, Vehicle("bus", load, crew))
    ventilated = rule.close_contacts(case, Vehicle("bus", load, crew, ventilated=True))
    assert riders_of(ventilated) <= riders_of(sealed)
    assert {c.crew for c in ventilated if c.who is None} == set(crew)


@given(load=loads(bus_seats), data=st.data())
def test_the_ventilated_rule_is_symmetric(load, data) -> None:
    a, b = data.draw(st.sampled_from(load)), data.draw(st.sampled_from(load))
    bus = Vehicle("bus", load, ventilated=True)
    assert (b.who in riders_of(rule.close_contacts(a, bus))) == (
        a.who in riders_of(rule.close_contacts(b, bus))
    )


@given(load=loads(train_seats), data=st.data())
def test_the_carriage_rule_is_symmetric(load, data) -> None:
    a, b = data.draw(st.sampled_from(load)), data.draw(st.sampled_from(load))
    train = Vehicle("train", load)
    assert (b.who in riders_of(rule.close_contacts(a, train))) == (
        a.who in riders_of(rule.close_contacts(b, train))
    )
