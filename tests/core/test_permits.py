"""homeward.core.permits: canonical bodies, co-signing, tokens, keys, rotation, revocation, keys file."""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from homeward.core.errors import DomainError
from homeward.core.permits import (
    REQUIRED_SIGNERS,
    Department,
    InvalidPermit,
    Keyring,
    PermitFormatError,
    PermitKind,
    RevocationList,
    Signature,
    SignedPermit,
    cosign,
    decode_revocation_list,
    decode_token,
    dump_keys_file,
    encode_token,
    generate_signing_key,
    key_id,
    load_keys_file,
    permit_from_body,
    sign_revocation_list,
    verify_revocation_list,
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
from homeward.core.permits.token import TOKEN_PREFIX, signed_message

DURING = TRIP_START + timedelta(hours=3)


@pytest.fixture
def keys():
    return demo_signing_keys(seed=1)


@pytest.fixture
def keyring(keys):
    return demo_keyring(keys)


@pytest.fixture
def road_pass():
    return sample_road_pass()


@pytest.fixture
def issued(road_pass, keys):
    return issue(road_pass, keys)


def _raw(token: str) -> bytearray:
    payload = token[len(TOKEN_PREFIX) :]
    return bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _token(raw: bytes) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


# --- the permit and its canonical body ---------------------------------------------------------------


def test_it_serialises_a_permit_canonically(road_pass):
    body = road_pass.body()
    data = json.loads(body)
    assert body == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert "慈溪".encode() in body  # UTF-8, not \\u escapes
    assert data["k"] == "rp" and data["s"] == [1, 2] and data["vf"] == int(TRIP_START.timestamp())
    assert permit_from_body(body) == road_pass


def test_it_round_trips_both_kinds_through_the_body():
    for permit in (sample_road_pass(), sample_prevention_permit()):
        assert permit_from_body(permit.body()) == permit
        assert permit.to_dict()["kind"] == str(permit.kind)


def test_it_rejects_bodies_that_are_not_canonical(road_pass):
    data = json.loads(road_pass.body())
    for variant in (
        json.dumps(data, sort_keys=True, ensure_ascii=False).encode(),  # spaces
        json.dumps(data, sort_keys=True, separators=(",", ":")).encode(),  # \\u escapes
        json.dumps(dict(reversed(list(data.items()))), separators=(",", ":"), ensure_ascii=False).encode(),
        road_pass.body() + b" ",
    ):
        with pytest.raises(PermitFormatError):
            permit_from_body(variant)
    data["s"] = [2, 1]  # signers out of order
    with pytest.raises(PermitFormatError):
        permit_from_body(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


def test_it_normalises_times_to_utc_seconds():
    beijing = TRIP_START.astimezone(__import__("datetime").timezone(timedelta(hours=8)))
    permit = sample_road_pass(start=beijing + timedelta(microseconds=999))
    assert permit.valid_from == TRIP_START and permit.valid_from.tzinfo is UTC


def test_it_validates_permit_fields(road_pass):
    with pytest.raises(InvalidPermit):
        replace(road_pass, permit_id="has space")
    with pytest.raises(InvalidPermit):
        replace(road_pass, valid_to=road_pass.valid_from)
    with pytest.raises(InvalidPermit):
        replace(road_pass, passengers=0)
    with pytest.raises(InvalidPermit):
        replace(road_pass, plate="")
    with pytest.raises(InvalidPermit):
        replace(road_pass, valid_from=datetime(2020, 2, 12))  # naive
    with pytest.raises(InvalidPermit):
        replace(road_pass, signers=(Department.TRANSPORT,))  # HR is required
    extra = replace(road_pass, signers=(Department.TASK_FORCE, Department.TRANSPORT, Department.HR))
    assert extra.signers == (Department.HR, Department.TRANSPORT, Department.TASK_FORCE)


def test_it_refuses_a_permit_too_large_for_a_qr_code(road_pass):
    with pytest.raises(InvalidPermit) as exc:
        replace(road_pass, route=("杭州湾跨海大桥",) * 30)
    assert exc.value.code == "invalid_permit" and "QR" in exc.value.message


def test_it_requires_the_departments_of_each_kind():
    assert sample_road_pass().signers == REQUIRED_SIGNERS[PermitKind.ROAD_PASS]
    assert Department.HEALTH in sample_prevention_permit().signers


# --- co-signing and issuing --------------------------------------------------------------------------


def test_it_is_issued_when_the_last_signature_lands(road_pass, keys):
    signed = SignedPermit(road_pass)
    assert signed.missing == (Department.HR, Department.TRANSPORT) and not signed.is_issued
    first = TRIP_START - timedelta(hours=5)
    signed = cosign(signed, keys[Department.TRANSPORT], first)
    assert signed.missing == (Department.HR,) and signed.issued_at is None
    with pytest.raises(DomainError) as exc:
        encode_token(signed)
    assert exc.value.code == "not_issued"
    last = TRIP_START - timedelta(hours=1)
    signed = cosign(signed, keys[Department.HR], last)
    assert signed.is_issued and signed.issued_at == last
    assert [s.department for s in signed.signatures] == [Department.HR, Department.TRANSPORT]


def test_it_refuses_the_wrong_signer_a_second_signature_and_a_key_out_of_window(road_pass, keys):
    signed = SignedPermit(road_pass)
    with pytest.raises(DomainError) as exc:
        cosign(signed, keys[Department.HEALTH], TRIP_START)
    assert exc.value.code == "not_a_signer"
    signed = cosign(signed, keys[Department.HR], TRIP_START)
    with pytest.raises(DomainError) as exc:
        cosign(signed, keys[Department.HR], TRIP_START)
    assert exc.value.code == "already_signed"
    late = generate_signing_key(Department.TRANSPORT, TRIP_START + timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        cosign(signed, late, TRIP_START)
    assert exc.value.code == "key_not_in_window"


def test_it_round_trips_a_token(issued):
    token = issued.token()
    assert token.startswith("HW1.") and token.isascii()
    assert set(token[4:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_token(token) == issued
    assert len(token) < 1000  # QR version ≤ 20 at ECC M


def test_key_ids_are_the_first_8_bytes_of_sha256(keys):
    import hashlib

    public = keys[Department.HR].public
    assert public.kid == key_id(public.public_key) == hashlib.sha256(public.public_key).digest()[:8].hex()


# --- verification: every reason -----------------------------------------------------------------------


def test_it_verifies_a_valid_token(issued, keyring):
    result = verify_token(issued.token(), keyring, RevocationList(1, TRIP_START), DURING)
    assert (result.valid, result.reason) == (True, "ok")
    assert result.permit == issued.permit
    out = result.to_dict()
    assert out["permit"]["plate"] == "贵F·D1234" and out["signatures"][0]["department"] == "hr"


def test_it_rejects_malformed_tokens_as_format(issued, keyring):
    token = issued.token()
    raw = _raw(token)
    bad = [
        "",
        "hello",
        "HW1.",
        "HW2." + token[4:],
        token[:-10],
        token + "A",
        token + "==",
        token.replace("HW1.", "HW1. "),
        _token(raw + b"\x00"),  # trailing byte
        _token(bytes([2]) + raw[1:]),  # version
        _token(raw[:-77]),  # one signature short of its count
    ]
    for text in bad:
        result = verify_token(text, keyring, None, DURING)
        assert (result.valid, result.reason, result.permit) == (False, "format", None), text[:20]


def test_it_rejects_a_changed_body_as_tampered(issued, keys, keyring):
    forged = replace(issued.permit, passengers=50)
    token = encode_token(SignedPermit(forged, issued.signatures))
    result = verify_token(token, keyring, None, DURING)
    assert (result.valid, result.reason, result.permit) == (False, "tampered", None)


def test_it_rejects_a_changed_signature_as_tampered(issued, keyring):
    raw = _raw(issued.token())
    raw[-1] ^= 0x01
    assert verify_token(_token(raw), keyring, None, DURING).reason == "tampered"


def test_it_rejects_a_changed_signing_time_as_tampered(issued, keyring):
    sig = issued.signatures[0]
    moved = replace(sig, signed_at=sig.signed_at - timedelta(minutes=1))
    token = encode_token(replace(issued, signatures=(moved, *issued.signatures[1:])))
    assert verify_token(token, keyring, None, DURING).reason == "tampered"


def test_it_rejects_keys_it_does_not_know(issued, keys, keyring):
    token = issued.token()
    stranger = Keyring(tuple(k for k in keyring if k.department != Department.TRANSPORT))
    result = verify_token(token, stranger, None, DURING)
    assert (result.reason, result.permit) == ("unknown_key", None)
    assert verify_token(token, Keyring(), None, DURING).reason == "unknown_key"


def test_it_rejects_a_key_of_another_department(road_pass, keys, keyring):
    # the transport key claims to be HR's: a kid must belong to the department that signs
    imposter = replace(keys[Department.TRANSPORT], department=Department.HR)
    signed = cosign(SignedPermit(road_pass), imposter, TRIP_START - timedelta(hours=2))
    signed = cosign(signed, keys[Department.TRANSPORT], TRIP_START - timedelta(hours=1))
    assert verify_token(signed.token(), keyring, None, DURING).reason == "unknown_key"


def test_it_rejects_a_missing_signature(road_pass, keys, keyring):
    partial = cosign(SignedPermit(road_pass), keys[Department.TRANSPORT], TRIP_START - timedelta(hours=1))
    result = verify_token(encode_token(partial, allow_incomplete=True), keyring, None, DURING)
    assert (result.valid, result.reason) == (False, "missing_signature")
    assert result.permit == road_pass  # authentic, just not complete
    assert "hr" in result.detail


def test_it_rejects_a_revoked_permit(issued, keyring):
    revocations = RevocationList(7, DURING, frozenset({issued.permit.permit_id, "RP-OTHER"}))
    result = verify_token(issued.token(), keyring, revocations, DURING)
    assert (result.valid, result.reason) == (False, "revoked")
    assert "#7" in result.detail


def test_it_checks_the_time_window(issued, keyring):
    permit = issued.permit
    token = issued.token()
    assert (
        verify_token(token, keyring, None, permit.valid_from - timedelta(seconds=1)).reason == "not_yet_valid"
    )
    assert verify_token(token, keyring, None, permit.valid_from).reason == "ok"
    assert verify_token(token, keyring, None, permit.valid_to - timedelta(seconds=1)).reason == "ok"
    assert verify_token(token, keyring, None, permit.valid_to).reason == "expired"


def test_a_revoked_expired_permit_reports_revoked(issued, keyring):
    revocations = RevocationList(1, DURING, frozenset({issued.permit.permit_id}))
    later = issued.permit.valid_to + timedelta(days=3)
    assert verify_token(issued.token(), keyring, revocations, later).reason == "revoked"


# --- rotation and revoked keys ----------------------------------------------------------------------


def test_rotation_keeps_permits_signed_with_the_old_key_valid(issued, keys, keyring):
    rotated_at = TRIP_START  # after issued was signed (an hour before the trip)
    new_transport = generate_signing_key(Department.TRANSPORT, rotated_at)
    rotated = keyring.rotate(new_transport.public, rotated_at)
    old = rotated.get(keys[Department.TRANSPORT].kid)
    assert old is not None and old.valid_to == rotated_at
    assert len(rotated.for_department(Department.TRANSPORT)) == 2
    assert rotated.current(Department.TRANSPORT, DURING).kid == new_transport.kid
    # issued before the rotation: still valid
    assert verify_token(issued.token(), rotated, None, DURING).reason == "ok"
    # a permit signed after the rotation with the new key: valid too
    later = sample_road_pass("RP-20200212-0002")
    signed = cosign(SignedPermit(later), keys[Department.HR], DURING)
    signed = cosign(signed, new_transport, DURING)
    assert verify_token(signed.token(), rotated, None, DURING).reason == "ok"


def test_an_old_key_cannot_sign_after_rotation(road_pass, keys, keyring):
    rotated_at = TRIP_START - timedelta(days=1)
    old_transport = replace(keys[Department.TRANSPORT], valid_to=rotated_at)
    with pytest.raises(DomainError) as exc:
        cosign(SignedPermit(road_pass), old_transport, DURING)
    assert exc.value.code == "key_not_in_window"
    # forge it anyway (a stolen, rotated-out key): the verifier rejects the signing time
    rotated = keyring.rotate(generate_signing_key(Department.TRANSPORT, rotated_at).public, rotated_at)
    body = road_pass.body()
    kid = old_transport.kid
    forged = Signature(
        Department.TRANSPORT,
        kid,
        DURING,
        old_transport.sign(signed_message(Department.TRANSPORT, kid, DURING, body)),
    )
    signed = cosign(SignedPermit(road_pass), keys[Department.HR], DURING)
    signed = replace(signed, signatures=(*signed.signatures, forged))
    result = verify_token(signed.token(), rotated, None, DURING)
    assert result.reason == "unknown_key" and "not valid at the signing time" in result.detail


def test_a_revoked_key_verifies_nothing(issued, keys, keyring):
    revoked = keyring.revoke(keys[Department.HR].kid)
    result = verify_token(issued.token(), revoked, None, DURING)
    assert result.reason == "unknown_key" and "revoked" in result.detail
    with pytest.raises(DomainError):
        keyring.revoke("00" * 8)


def test_a_keyring_refuses_duplicates_and_rotation_into_the_past(keys, keyring):
    with pytest.raises(DomainError):
        keyring.with_keys([keys[Department.HR].public])
    with pytest.raises(DomainError):
        keyring.rotate(
            generate_signing_key(Department.HR, TRIP_START).public, datetime(2019, 1, 1, tzinfo=UTC)
        )


def test_a_signing_key_never_shows_its_seed(keys):
    key = keys[Department.HEALTH]
    assert key.private_key.hex() not in repr(key) and key.kid in repr(key)


# --- revocation list ---------------------------------------------------------------------------------


def test_the_revocation_list_round_trips_signed(keys, keyring):
    revocations = RevocationList(3, DURING, frozenset({"RP-1", "PP-2"}))
    signed = sign_revocation_list(revocations, keys[Department.TASK_FORCE])
    text = signed.encode()
    assert text.startswith("HWR1.")
    decoded = decode_revocation_list(text)
    assert decoded == signed
    assert verify_revocation_list(decoded, keyring) == revocations
    assert "RP-1" in revocations and "RP-3" not in revocations


def test_only_the_task_force_signs_revocations(keys):
    with pytest.raises(DomainError) as exc:
        sign_revocation_list(RevocationList(1, DURING), keys[Department.HR])
    assert exc.value.code == "not_a_signer"


def test_a_tampered_revocation_list_is_refused(keys, keyring):
    signed = sign_revocation_list(RevocationList(3, DURING, frozenset({"RP-1"})), keys[Department.TASK_FORCE])
    smaller = replace(signed, revocations=RevocationList(3, DURING))
    with pytest.raises(DomainError) as exc:
        verify_revocation_list(decode_revocation_list(smaller.encode()), keyring)
    assert exc.value.code == "revocation_list_invalid"
    with pytest.raises(DomainError) as exc:
        verify_revocation_list(signed, Keyring(tuple(k for k in keyring if k.department != "task_force")))
    assert exc.value.code == "revocation_list_invalid"
    for text in ("HWR1.", "HWR1.AAAA", signed.encode()[:-4], "nope"):
        with pytest.raises(PermitFormatError):
            decode_revocation_list(text)


def test_the_revocation_list_is_small_enough_to_carry(keys):
    ids = frozenset(f"RP-202002{d:02d}-{n:04d}" for d in range(1, 29) for n in range(36))  # 1,008 ids
    signed = sign_revocation_list(RevocationList(42, DURING, ids), keys[Department.TASK_FORCE])
    encoded = signed.encode()
    assert len(encoded) < 8 * len(ids)  # a few bytes per revoked permit, not the 18 of the raw id
    empty = sign_revocation_list(RevocationList(1, DURING), keys[Department.TASK_FORCE]).encode()
    assert len(empty) < 200


def test_a_newer_revocation_list_supersedes(keys):
    first = RevocationList(1, DURING, frozenset({"RP-1"}))
    second = first.adding("RP-2", issued_at=DURING + timedelta(hours=1))
    assert second.sequence == 2 and second.permit_ids == {"RP-1", "RP-2"}
    assert second.supersedes(first) and not first.supersedes(second) and first.supersedes(None)


# --- keys file ---------------------------------------------------------------------------------------


def test_the_keys_file_round_trips(keys, keyring):
    revocations = sign_revocation_list(
        RevocationList(5, DURING, frozenset({"RP-9"})), keys[Department.TASK_FORCE]
    )
    text = dump_keys_file(keyring, revocations, DURING)
    doc = json.loads(text)
    assert doc["format"] == "homeward-permit-keys" and len(doc["keys"]) == len(Department)
    entry = doc["keys"][0]
    assert set(entry) == {
        "kid",
        "department",
        "department_name",
        "public_key",
        "valid_from",
        "valid_to",
        "revoked",
    }
    for key in keys.values():
        assert base64.b64encode(key.private_key).decode() not in text
    loaded = load_keys_file(text)
    assert loaded.keyring == keyring
    assert loaded.revocations == revocations.revocations
    assert loaded.generated_at == DURING


def test_the_keys_file_refuses_inconsistent_content(keys, keyring):
    doc = json.loads(dump_keys_file(keyring, None, DURING))
    doc["keys"][0]["kid"] = "0" * 16
    with pytest.raises(PermitFormatError):
        load_keys_file(json.dumps(doc))
    for text in ("", "[]", '{"format": "other", "version": 1}', "{"):
        with pytest.raises(PermitFormatError):
            load_keys_file(text)
    doc = json.loads(dump_keys_file(keyring, None, DURING))
    doc["keys"][1]["valid_from"] = "2020-01-01T00:00:00"  # naive
    with pytest.raises(PermitFormatError):
        load_keys_file(json.dumps(doc))
    # a revocation list signed by a key the file does not hold
    other = demo_signing_keys(seed=2)[Department.TASK_FORCE]
    doc = json.loads(dump_keys_file(keyring, None, DURING))
    doc["revocation_list"] = sign_revocation_list(RevocationList(1, DURING), other).encode()
    with pytest.raises(DomainError) as exc:
        load_keys_file(json.dumps(doc))
    assert exc.value.code == "revocation_list_invalid"


def test_the_signature_block_layout_is_stable(issued):
    raw = _raw(issued.token())
    (body_len,) = struct.unpack(">H", raw[1:3])
    assert raw[0] == 1 and raw[3 + body_len] == 2 and len(raw) == 3 + body_len + 1 + 2 * 77
    assert bytes(raw[3 : 3 + body_len]) == issued.permit.body()


@pytest.mark.parametrize(
    ("changes", "unready"),
    [
        ({}, ()),
        ({"plate": "浙B12345"}, ()),
        ({"plate": "贵FD12345"}, ()),  # new-energy plates have six characters
        ({"plate": "430500-005"}, ("plate",)),  # a coach's key, not a plate
        ({"plate": "待定 (to be assigned)"}, ("plate",)),
        ({"plate": "浙I12345"}, ("plate",)),  # I and O are never used
        ({"entry_station": "待定"}, ("entry_station",)),
        ({"carrier": "待定", "exit_station": "待定"}, ("carrier", "exit_station")),
    ],
)
def test_a_road_pass_names_its_placeholders(changes, unready):
    from homeward.core.permits import placeholder_fields

    assert placeholder_fields(replace(sample_road_pass(), **changes)) == unready


def test_a_prevention_permit_has_no_placeholders():
    from homeward.core.permits import placeholder_fields

    assert placeholder_fields(sample_prevention_permit()) == ()


def test_a_scanned_link_verifies_as_its_token(keys, keyring):
    from homeward.core.permits import token_from_scan, verify_link

    token = issue(sample_road_pass(), keys).token()
    link = verify_link("https://homeward.example.gov.cn/permits/verify/", token)
    assert link == f"https://homeward.example.gov.cn/permits/verify/?t={token}"
    assert token_from_scan(link) == token_from_scan(f" {token} ") == token
    assert token_from_scan("https://x.example/permits/verify/?lang=en&t=HW1.abc#top") == "HW1.abc"
    assert verify_token(link, keyring, None, DURING).valid
    assert verify_token(link[:-2], keyring, None, DURING).reason in ("format", "tampered")
