"""Hypothesis properties of homeward.core.permits: any change to a token makes verification fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from homeward.core.permits import (
    KitItem,
    PreventionPermit,
    RevocationList,
    RoadPass,
    decode_token,
    permit_from_body,
    verify_token,
)
from homeward.core.permits.samples import (
    TRIP_START,
    demo_keyring,
    demo_signing_keys,
    issue,
    sample_prevention_permit,
    sample_road_pass,
)

KEYS = demo_signing_keys(seed=3)
KEYRING = demo_keyring(KEYS)
DURING = TRIP_START + timedelta(hours=2)
NO_REVOCATIONS = RevocationList(1, TRIP_START)
TOKENS = (issue(sample_road_pass(), KEYS).token(), issue(sample_prevention_permit(), KEYS).token())
FAILURES = {"format", "tampered", "unknown_key", "missing_signature"}

# Characters a change may bring in: the token's own alphabet mostly, plus anything at all.
token_chars = st.one_of(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "),
    st.characters(codec="utf-8"),
)


def test_the_unchanged_tokens_verify():
    for token in TOKENS:
        assert verify_token(token, KEYRING, NO_REVOCATIONS, DURING).reason == "ok"


def test_every_position_of_a_token_is_covered():
    """Exhaustive companion of the property: each position, two substitutes; the tail, every one."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert {len(token[4:]) % 4 for token in TOKENS} == {0, 3}  # with and without base64 padding bits
    for token in TOKENS:
        for index, original in enumerate(token):
            at = alphabet.find(original)
            substitutes = {alphabet[(at + 1) % 64], alphabet[at ^ 1 if at >= 0 else 0]} - {original}
            if index >= len(token) - 3:
                substitutes = set(alphabet) - {original}  # where base64 padding bits live
            for char in substitutes:
                changed = token[:index] + char + token[index + 1 :]
                assert not verify_token(changed, KEYRING, NO_REVOCATIONS, DURING).valid, (index, char)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(TOKENS), data=st.data())
def test_changing_any_character_of_a_token_makes_it_fail(which, data):
    index = data.draw(st.integers(0, len(which) - 1), label="index")
    char = data.draw(token_chars.filter(lambda c: c != which[index]), label="char")
    changed = which[:index] + char + which[index + 1 :]
    result = verify_token(changed, KEYRING, NO_REVOCATIONS, DURING)
    assert not result.valid
    assert result.reason in FAILURES


@settings(max_examples=500, deadline=None)
@given(which=st.sampled_from(TOKENS), data=st.data())
def test_changing_any_byte_of_a_token_makes_it_fail(which, data):
    encoded = bytearray(which.encode("ascii"))
    index = data.draw(st.integers(0, len(encoded) - 1), label="index")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != encoded[index]), label="byte")
    encoded[index] = value
    changed = encoded.decode("latin-1")
    assert not verify_token(changed, KEYRING, NO_REVOCATIONS, DURING).valid


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(TOKENS), data=st.data())
def test_deleting_or_inserting_characters_makes_it_fail(which, data):
    index = data.draw(st.integers(0, len(which) - 1), label="index")
    if data.draw(st.booleans(), label="delete"):
        length = data.draw(st.integers(1, 8), label="length")
        changed = which[:index] + which[index + length :]
    else:
        changed = which[:index] + data.draw(st.text(token_chars, min_size=1, max_size=4)) + which[index:]
    assert not verify_token(changed, KEYRING, NO_REVOCATIONS, DURING).valid


# --- any valid permit round-trips --------------------------------------------------------------------

texts = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20
    )
    .map(str.strip)
    .filter(bool)
)
items = st.lists(texts, min_size=1, max_size=5).map(tuple)
ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z")
starts = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
hours = st.integers(1, 24 * 30)

road_passes = st.builds(
    lambda pid, start, h, t, pl, c, o, de, r, pv, en, ex, n, og: RoadPass(
        permit_id=pid,
        valid_from=start,
        valid_to=start + timedelta(hours=h),
        trip_id=t,
        plate=pl,
        carrier=c,
        origin=o,
        destination=de,
        route=r,
        provinces=pv,
        entry_station=en,
        exit_station=ex,
        passengers=n,
        organiser=og,
    ),
    ids,
    starts,
    hours,
    texts,
    texts,
    texts,
    texts,
    texts,
    items,
    items,
    texts,
    texts,
    st.integers(1, 60),
    texts,
)
prevention_permits = st.builds(
    lambda pid, start, h, t, vh, n, me, kit, hc, og: PreventionPermit(
        permit_id=pid,
        valid_from=start,
        valid_to=start + timedelta(hours=h),
        trip_id=t,
        vehicles=vh,
        passengers=n,
        medical_escort=me,
        kit=kit,
        health_checks=hc,
        organiser=og,
    ),
    ids,
    starts,
    hours,
    texts,
    items,
    st.integers(1, 2000),
    items,
    st.lists(st.builds(KitItem, texts, st.integers(0, 10_000)), max_size=4).map(tuple),
    items,
    texts,
)


@settings(max_examples=150, deadline=None)
@given(permit=st.one_of(road_passes, prevention_permits))
def test_any_permit_round_trips_and_verifies_inside_its_window(permit):
    assert permit_from_body(permit.body()) == permit
    signed_at = max(permit.valid_from - timedelta(hours=1), TRIP_START)  # inside the demo keys' window
    assume(signed_at < permit.valid_to)  # an expired permit is never signed (cosign: permit_expired)
    signed = issue(permit, KEYS, at=signed_at)
    token = signed.token()
    assert decode_token(token) == signed
    inside = permit.valid_from + (permit.valid_to - permit.valid_from) / 2
    assert verify_token(token, KEYRING, NO_REVOCATIONS, inside).reason == "ok"
    assert verify_token(token, KEYRING, NO_REVOCATIONS, permit.valid_to).reason == "expired"
    revoked = RevocationList(2, inside, frozenset({permit.permit_id}))
    assert verify_token(token, KEYRING, revoked, inside).reason == "revoked"
