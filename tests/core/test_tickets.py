"""The worker's e-ticket as a permit kind (``core.permits.Ticket``): canonical body round-trip, one
transport signature, tampering and revocation caught offline, and the size cap that keeps its QR
code scannable (Hypothesis over legs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from homeward.core.permits import (
    Department,
    InvalidPermit,
    RevocationList,
    SignedPermit,
    Ticket,
    TicketLeg,
    cosign,
    decode_token,
    permit_from_body,
    verify_link,
    verify_token,
)
from homeward.core.permits.model import MAX_TICKET_BODY_BYTES
from homeward.core.permits.samples import TRIP_START, demo_keyring, demo_signing_keys

KEYS = demo_signing_keys(seed=5)
KEYRING = demo_keyring(KEYS)
DURING = TRIP_START + timedelta(hours=1)
VERIFY_URL = "https://homeward.example.cn/permits/verify/"


def _leg(i: int = 0, **changes: object) -> TicketLeg:
    fields: dict[str, object] = {
        "leg": i, "kind": "bus" if i == 0 else "shuttle", "vehicle": "贵D·12345", "pickup": "毕节市七星关区",
        "pickup_at": TRIP_START + timedelta(hours=i * 9), "seat": "12", "destination": "余姚北站",
        "escort_phone": "13812345678",
    }  # fmt: skip
    fields.update(changes)
    return TicketLeg(**fields)  # type: ignore[arg-type]


def _ticket(legs: tuple[TicketLeg, ...] | None = None, permit_id: str = "TK-42-1") -> Ticket:
    return Ticket(
        permit_id=permit_id, valid_from=TRIP_START - timedelta(hours=12), valid_to=TRIP_START + timedelta(days=2),
        run=7, worker=42, holder="张＊", id_tail="123X", legs=legs or (_leg(0), _leg(1)),
    )  # fmt: skip


def _token(ticket: Ticket) -> str:
    return cosign(SignedPermit(ticket), KEYS[Department.TRANSPORT], TRIP_START - timedelta(hours=2)).token()


def test_it_round_trips_its_canonical_body() -> None:
    ticket = _ticket()
    assert permit_from_body(ticket.body()) == ticket
    assert ticket.signers == (Department.TRANSPORT,)
    assert ticket.to_dict()["legs"][1]["kind"] == "shuttle"


def test_it_is_signed_by_transport_alone_and_verifies_offline() -> None:
    token = _token(_ticket())
    result = verify_token(verify_link(VERIFY_URL, token), KEYRING, RevocationList(1, TRIP_START), DURING)
    assert (result.valid, result.reason) == (True, "ok")
    assert isinstance(result.permit, Ticket) and result.permit.worker == 42
    with pytest.raises(Exception, match="does not sign"):
        cosign(SignedPermit(_ticket()), KEYS[Department.HEALTH], TRIP_START)


def test_a_revoked_ticket_verifies_as_revoked() -> None:
    token = _token(_ticket())
    revoked = RevocationList(2, TRIP_START, frozenset({"TK-42-1"}))
    assert verify_token(token, KEYRING, revoked, DURING).reason == "revoked"


def test_a_ticket_signed_by_another_department_is_refused() -> None:
    """A health key's signature under a ticket's body does not pass as transport's."""
    token = _token(_ticket())
    signed = decode_token(token)
    foreign = demo_signing_keys(seed=6)[Department.TRANSPORT]
    forged = cosign(SignedPermit(signed.permit), foreign, TRIP_START - timedelta(hours=2)).token()
    assert verify_token(forged, KEYRING, None, DURING).reason == "unknown_key"


@pytest.mark.parametrize(
    "change",
    [
        {"leg": 1},  # legs not numbered from 0
        {"escort_phone": "12345"},
        {"seat": ""},
        {"vehicle": "车" * 41},
    ],
)
def test_it_refuses_bad_legs(change: dict[str, object]) -> None:
    with pytest.raises(InvalidPermit):
        _ticket((_leg(0, **change),))


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=40,
)
legs_strategy = st.lists(
    st.tuples(texts, texts, texts, texts, st.integers(0, 10_000), st.sampled_from(["", "13912345678"])),
    min_size=1,
    max_size=3,
)


@settings(max_examples=120, deadline=None)
@given(legs_strategy, st.integers(0, 2**31))
def test_any_ticket_that_fits_round_trips_and_any_change_is_caught(raw: list[tuple], flip: int) -> None:
    """Over arbitrary legs: either the ticket is refused for its size, or it fits the cap, round-trips,
    its token fits a QR code of version ≤ 22 with the verification link, and flipping any one
    character of the token makes verification fail."""
    legs = tuple(
        _leg(
            i,
            vehicle=v,
            pickup=p,
            seat=s,
            destination=d,
            pickup_at=TRIP_START + timedelta(minutes=m),
            escort_phone=e,
        )
        for i, (v, p, s, d, m, e) in enumerate(raw)
    )
    try:
        ticket = _ticket(legs)
    except InvalidPermit as exc:
        assert "bytes" in exc.message
        return
    assert len(ticket.body()) <= MAX_TICKET_BODY_BYTES
    assert permit_from_body(ticket.body()) == ticket
    token = _token(ticket)
    assert segno.make(verify_link(VERIFY_URL, token), error="m", micro=False).version <= 22
    assert verify_token(token, KEYRING, None, DURING).valid
    i = 4 + flip % (len(token) - 4)
    changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    assert not verify_token(changed, KEYRING, None, DURING).valid
