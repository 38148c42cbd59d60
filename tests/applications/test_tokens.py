"""A permit issued through the app: changing any byte of its token makes verification fail."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.apps.applications import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(issued):
    return next(p for p in issued if p.kind == "prevention").token


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_changing_any_byte_of_an_issued_token_fails(token, data):
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=" * (-len(token[4:]) % 4)))
    index = data.draw(st.integers(0, len(raw) - 1))
    flip = data.draw(st.integers(1, 255))
    raw[index] ^= flip
    tampered = "HW1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    result = services.permit_verify(tampered)
    assert not result.valid and result.reason in ("format", "tampered", "unknown_key", "missing_signature")
    assert services.permit_verify(token).valid
