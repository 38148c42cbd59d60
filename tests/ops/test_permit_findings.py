"""Low findings on permits: an expired permit is never signed or issued; offline verification warns
when its keys file is stale."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from homeward.apps.applications import services
from homeward.apps.applications.models import PermitSignature
from homeward.core.errors import Conflict
from homeward.core.permits import (
    Department,
    RevocationList,
    SignedPermit,
    cosign,
    sign_revocation_list,
    write_keys_file,
)
from homeward.core.permits.samples import TRIP_START, demo_keyring, demo_signing_keys, issue, sample_road_pass
from tests.core.test_permits_cli import run

KEYS = demo_signing_keys(seed=7)


def test_expired_permits_still_get_signed__core_refuses_to_cosign():
    permit = sample_road_pass()
    with pytest.raises(Conflict) as refused:
        cosign(SignedPermit(permit), KEYS[Department.TRANSPORT], permit.valid_to)
    assert refused.value.code == "permit_expired"


def test_expired_permits_still_get_signed__service_refuses_and_stores_nothing(
    permits_drafted, transport_officer, time_machine
):
    permit = permits_drafted[0]
    time_machine.move_to(services.core_permit(permit).valid_to + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        services.permit_sign(actor=transport_officer, permit_id=permit.pk)
    assert refused.value.code == "permit_expired"
    assert "过期" in refused.value.message
    permit.refresh_from_db()
    assert (permit.state, permit.token) == ("drafted", "")
    assert not PermitSignature.objects.filter(permit=permit).exists()


def test_expired_permits_still_get_signed__api_answers_409(
    permits_drafted, transport_officer, client, time_machine
):
    permit = permits_drafted[0]
    time_machine.move_to(services.core_permit(permit).valid_to + timedelta(hours=1))
    client.force_login(transport_officer)
    response = client.post(f"/api/v1/permits/{permit.pk}/sign")
    assert response.status_code == 409
    assert response.json()["reason"] == "permit_expired"


@pytest.fixture
def revoked_after_export(tmp_path):
    """A keys file exported at TRIP_START, before RP-1 was revoked, and RP-1's token."""
    path = tmp_path / "keys.json"
    listed = sign_revocation_list(RevocationList(1, TRIP_START, frozenset()), KEYS[Department.TASK_FORCE])
    write_keys_file(path, demo_keyring(KEYS), listed, TRIP_START)
    return path, issue(sample_road_pass("RP-1", start=TRIP_START), KEYS).token()


def test_stale_keys_file_accepts_revoked_permit_without_warning__verify_warns(revoked_after_export, capsys):
    path, token = revoked_after_export
    now = (TRIP_START + timedelta(hours=30)).isoformat()
    # RP-1 was revoked after the export: the file cannot know, so the permit verifies — with a warning
    assert run(["permit", "verify", token, "--keys", str(path), "--now", now, "--max-age-hours", "6"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["valid"] is True and out["keys_file"]["stale"] is True
    assert out["keys_file"]["generated_at"] == TRIP_START.isoformat()
    assert out["keys_file"]["revocation_list_issued_at"] == TRIP_START.isoformat()
    assert out["keys_file"]["age_hours"] == 30
    assert out["warnings"] and "30.0 h" in out["warnings"][0]
    assert "warning" in captured.err


def test_a_fresh_keys_file_verifies_without_warning(revoked_after_export, capsys):
    path, token = revoked_after_export
    now = (TRIP_START + timedelta(hours=2)).isoformat()
    assert run(["permit", "verify", token, "--keys", str(path), "--now", now]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["valid"], out["keys_file"]["stale"], out["warnings"]) == (True, False, [])
    assert captured.err == ""
