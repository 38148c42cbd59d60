"""Permits: drafted from the completed tasks (or a plan's bus), signed by each required department
with its current key and issued with the last signature, revoked with a signed revocation list,
verified against the stored public keys, rendered as PDF; the public keys file for offline verifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, authorized, refuse, signer_of, user_of
from homeward.apps.applications import keystore, selectors
from homeward.apps.applications.models import (
    ApplicationState,
    DepartmentTask,
    Permit,
    PermitSignature,
    PermitState,
    ReturnApplication,
    RevocationList,
    TaskKind,
)
from homeward.apps.applications.services.states import _state_error
from homeward.apps.applications.services.task_data import DEFAULT_PERMIT_HOURS, parse_time
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import PlanVehicle
from homeward.apps.registry.selectors import require_home_city
from homeward.core import permits as core_permits
from homeward.core.errors import Conflict, DomainError


def _task_data(app: ReturnApplication, kind: str) -> dict[str, Any] | None:
    task = DepartmentTask.objects.filter(
        case__application=app, kind=kind, state=DepartmentTask.State.DONE
    ).first()
    return dict(task.data) if task is not None else None


def permit_draft(*, actor: Any, application: ReturnApplication) -> list[Permit]:
    """Draft the permits the tasks' data allows and that do not exist yet: one road pass per vehicle
    the enterprise brings (transport done; a plan bus has its own), one prevention permit per trip
    (transport and health done). Call inside a
    transaction (``department_task_complete`` does)."""
    authorize(actor, "permit.draft", application)
    app = application
    transport = _task_data(app, TaskKind.VEHICLE_ROUTE_PASS)
    health = _task_data(app, TaskKind.ESCORT_KIT_CHECKS)
    if transport is None:
        return []
    start = parse_time(transport["departure"], timezone.now())
    end = start + timedelta(hours=int(transport.get("window_hours") or DEFAULT_PERMIT_HOURS))
    trip = f"A{app.pk}"
    organiser = require_home_city().organiser
    created: list[Permit] = []
    existing = set(Permit.objects.filter(application=app).values_list("permit_id", flat=True))
    # the plan's buses have their own passes, signed through this task (plan_route_passes_sign)
    own_vehicles = transport.get("source") != "plan"
    for i, v in enumerate(transport["vehicles"] if own_vehicles else (), start=1):
        pid = f"RP-{app.pk}-{i}"
        if pid in existing:
            continue
        core = core_permits.RoadPass(
            permit_id=pid, valid_from=start, valid_to=end, trip_id=trip, plate=v["plate"], carrier=v["carrier"],
            origin=transport["origin"], destination=transport["destination"], route=tuple(transport["route"]),
            provinces=tuple(transport["provinces"]), entry_station=transport["entry_station"],
            exit_station=transport["exit_station"], passengers=int(v["passengers"]), organiser=organiser,
        )  # fmt: skip
        created.append(permit_store(actor=actor, drafted=core, application=app))
    pid = f"PP-{app.pk}"
    if health is not None and pid not in existing:
        core_pp = core_permits.PreventionPermit(
            permit_id=pid, valid_from=start, valid_to=end, trip_id=trip,
            vehicles=tuple(v["plate"] for v in transport["vehicles"]),
            passengers=sum(int(v["passengers"]) for v in transport["vehicles"]),
            medical_escort=tuple(health["medical_escort"]),
            kit=tuple(core_permits.KitItem(k["name"], int(k["quantity"])) for k in health["kit"]),
            health_checks=tuple(health["health_checks"]), organiser=organiser,
        )  # fmt: skip
        created.append(permit_store(actor=actor, drafted=core_pp, application=app))
    return created


def permit_store(
    *,
    actor: Any,
    drafted: core_permits.Permit,
    application: ReturnApplication | None = None,
    plan_vehicle: PlanVehicle | None = None,
) -> Permit:
    """Store a drafted permit, awaiting its signers, with its ``permit.draft`` audit event. It belongs
    to an application (``permit_draft``) or to a plan's bus (``planning.permits.plan_permits_draft``).
    Called inside the caller's transaction."""
    authorize(actor, "permit.draft", application or plan_vehicle)
    permit = Permit.objects.create(
        permit_id=drafted.permit_id,
        kind=str(drafted.kind),
        application=application,
        plan_vehicle=plan_vehicle,
        body=drafted.body().decode("utf-8"),
        payload=drafted.to_dict(),
        required_signers=",".join(str(d) for d in drafted.signers),
    )
    holder = {"application": application.pk} if application is not None else {}
    if plan_vehicle is not None:
        holder = {"plan_run": plan_vehicle.run_id, "plan_vehicle": plan_vehicle.pk}
    audit_record(
        actor=actor, action="permit.draft", object_type="permit", object_id=permit.pk,
        data={"permit_id": permit.permit_id, "kind": permit.kind, **holder},
    )  # fmt: skip
    return permit


def core_permit(permit: Permit) -> core_permits.Permit:
    return core_permits.permit_from_body(permit.body.encode("utf-8"))


def signed_permit(permit: Permit) -> core_permits.SignedPermit:
    sigs = tuple(
        core_permits.Signature(core_permits.Department(s.department), s.kid, s.signed_at, bytes(s.signature))
        for s in sorted(permit.signatures.all(), key=lambda s: core_permits.Department(s.department).code)
    )
    return core_permits.SignedPermit(core_permit(permit), sigs)


_PERMITS = Permit.objects.select_related("application__enterprise", "plan_vehicle")


def permit_get(*, actor: Any, permit_id: int) -> Permit:
    return authorized(actor, "permit.read", _PERMITS, permit_id)


def permit_sign(*, actor: Any, permit_id: int) -> Permit:
    """Sign as the actor's department with its current key; the permit is issued (token set) when
    the last required signature lands."""
    permit = authorized(actor, "permit.sign", _PERMITS, permit_id)
    dept = signer_of(actor)
    assert dept is not None  # permit.sign is the departments' and they all sign
    if str(dept) not in permit.signer_list:  # it sees the permit (its case) but does not sign it
        refuse(actor, "permit.sign", "permit", permit.pk)
    if permit.state != PermitState.DRAFTED:
        raise Conflict("该许可证已签发或已撤销 (permit is not awaiting signatures)", "bad_state")
    if permit.application is not None and permit.application.state == ApplicationState.CANCELLED:
        raise _state_error(permit.application, "签发")
    superseded = selectors.superseded_plan_vehicles()
    if permit.plan_vehicle_id is not None and superseded.filter(pk=permit.plan_vehicle_id).exists():
        raise Conflict("该车辆所属计划已被新计划取代 (the plan of this bus was superseded)", "stale_plan")
    unready = core_permits.placeholder_fields(core_permit(permit))
    if unready:
        raise DomainError(
            "通行证仍有待定项，补全后才能签发："
            + "、".join(PLACEHOLDER_LABELS[f] for f in unready)
            + f" (not signable while {', '.join(unready)} {'is' if len(unready) == 1 else 'are'} a placeholder)",
            "permit_placeholders",
        )
    now = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic():
            locked = Permit.objects.select_for_update().get(pk=permit.pk)
            if locked.state != PermitState.DRAFTED:
                raise Conflict("该许可证已签发或已撤销 (permit is not awaiting signatures)", "bad_state")
            key = keystore.current_key(dept, now)
            signed = core_permits.cosign(signed_permit(locked), key, now)
            sig = next(s for s in signed.signatures if s.department == dept)
            PermitSignature.objects.create(
                permit=locked, department=str(dept), kid=sig.kid, signed_at=sig.signed_at,
                signature=sig.signature, signed_by=user_of(actor),
            )  # fmt: skip
            audit_record(
                actor=actor, action="permit.sign", object_type="permit", object_id=locked.pk,
                data={"permit_id": locked.permit_id, "department": str(dept), "kid": sig.kid},
            )  # fmt: skip
            if signed.is_issued:
                Permit.objects.filter(pk=locked.pk, state=PermitState.DRAFTED).update(
                    state=PermitState.ISSUED, token=signed.token(), issued_at=signed.issued_at
                )
                audit_record(
                    actor=actor, action="permit.issue", object_type="permit", object_id=locked.pk,
                    data={"permit_id": locked.permit_id},
                )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict("本部门已签 (already signed by your department)", "already_signed") from exc
    permit.refresh_from_db()
    return permit


# The road-pass fields a department may still fill in before anyone has signed.
FILLABLE_FIELDS = ("plate", "carrier", "entry_station", "exit_station")


def permit_fill(*, actor: Any, permit_id: int, values: Mapping[str, str]) -> Permit:
    """Fill in what the drafter left 待定 on a road pass (plate, carrier, toll stations) before the
    first signature (signatures are over the exact fields, so a signed pass is never rewritten).
    Transport or the task force (``permit.fill``); the pass must end with no placeholder left."""
    permit = authorized(actor, "permit.fill", _PERMITS, permit_id)
    unknown = set(values) - set(FILLABLE_FIELDS)
    if permit.kind != Permit.Kind.ROAD_PASS or unknown:
        raise DomainError(
            f"只能补填通行证的 {'、'.join(PLACEHOLDER_LABELS[f] for f in FILLABLE_FIELDS)} "
            "(only a road pass's plate, carrier and toll stations)",
            "invalid_permit",
        )
    changes: dict[str, Any] = {k: str(v).strip() for k, v in values.items()}
    with transaction.atomic():
        locked = Permit.objects.select_for_update().get(pk=permit.pk)
        if locked.state != PermitState.DRAFTED or locked.signatures.exists():
            raise Conflict("已有部门签署，不能再修改 (already signed: fields are fixed)", "bad_state")
        # raises InvalidPermit if bad; a longer toll station may cost the route a place or two
        filled = core_permits.refitted(core_permit(locked), **changes)
        unready = core_permits.placeholder_fields(filled)
        if unready:
            raise DomainError(
                "仍有待定项：" + "、".join(PLACEHOLDER_LABELS[f] for f in unready)
                + f" (still a placeholder: {', '.join(unready)})",
                "permit_placeholders",
            )  # fmt: skip
        locked.body = filled.body().decode("utf-8")
        locked.payload = filled.to_dict()
        locked.save(update_fields=["body", "payload"])
        audit_record(
            actor=actor, action="permit.fill", object_type="permit", object_id=locked.pk,
            data={"permit_id": locked.permit_id, "fields": sorted(changes)},
        )  # fmt: skip
    return locked


def permit_revoke(*, actor: Any, permit_id: int, reason: str = "") -> Permit:
    """Withdraw an issued permit (task force): publishes the next signed revocation list."""
    permit = authorized(actor, "permit.revoke", _PERMITS, permit_id)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        if not Permit.objects.filter(pk=permit.pk, state=PermitState.ISSUED).update(
            state=PermitState.REVOKED, revoked_at=now, revoked_reason=reason[:200]
        ):
            raise Conflict("只能撤销已签发的许可证 (only issued permits can be revoked)", "bad_state")
        revocation_list_publish(actor=actor, at=now)
        audit_record(
            actor=actor, action="permit.revoke", object_type="permit", object_id=permit.pk,
            data={"permit_id": permit.permit_id, "reason": reason[:200]},
        )  # fmt: skip
    permit.refresh_from_db()
    return permit


def revocation_list_publish(*, actor: Any, at: datetime | None = None) -> RevocationList:
    """Sign and store the next revocation list: every revoked permit and ticket id, sequence + 1."""
    authorize(actor, "revocations.publish")
    at = (at or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        last = RevocationList.objects.select_for_update().order_by("-sequence").first()
        sequence = (last.sequence + 1) if last else 1
        from homeward.apps.trips.services.tickets import revoked_ticket_ids

        permits = Permit.objects.filter(state=PermitState.REVOKED).values_list("permit_id", flat=True)
        ids = sorted({*permits, *revoked_ticket_ids()})  # e-tickets are permits too (core Ticket)
        core_list = core_permits.RevocationList(sequence, at, frozenset(ids))
        key = keystore.current_key(core_permits.Department.TASK_FORCE, at)
        signed = core_permits.sign_revocation_list(core_list, key)
        row = RevocationList.objects.create(
            sequence=sequence, issued_at=at, permit_ids=ids, encoded=signed.encode(), kid=signed.kid
        )
        audit_record(
            actor=actor, action="revocations.publish", object_type="revocation_list", object_id=sequence,
            data={"count": len(ids)},
        )  # fmt: skip
    return row


def permit_verify(token: str, now: datetime | None = None) -> core_permits.Verification:
    """Verify a token against the stored public keys and the latest revocation list (what an offline
    verifier does with an exported keys file); both cached while unchanged (``verification_material``)."""
    ring, revocations = keystore.verification_material()
    return core_permits.verify_token(token or "", ring, revocations, now or timezone.now())


# What a checkpoint cannot match to the bus in front of it (``core.permits.placeholder_fields``).
PLACEHOLDER_LABELS = {
    "plate": "车牌号",
    "carrier": "承运单位",
    "entry_station": "入口收费站",
    "exit_station": "出口收费站",
}


def verify_url() -> str:
    """The public verification page a permit's QR code links to (``HOMEWARD_PUBLIC_URL``)."""
    return settings.HOMEWARD_PUBLIC_URL + reverse("applications:permit-verify")


def permit_pdf(*, actor: Any, permit_id: int) -> tuple[Permit, bytes]:
    """The one-page A5 PDF of an issued permit; its QR code is the verification link."""
    permit = permit_get(actor=actor, permit_id=permit_id)
    if permit.state != PermitState.ISSUED:
        raise Conflict("许可证尚未签发 (permit not issued yet)", "not_issued")
    content = core_permits.render_permit_pdf(core_permit(permit), permit.token, verify_url())
    audit_record(actor=actor, action="permit.pdf", object_type="permit", object_id=permit.pk)
    return permit, content


def keys_file_text(at: datetime | None = None) -> str:
    """The public keys and the current revocation list, as ``export-keys`` writes them."""
    return core_permits.dump_keys_file(
        keystore.keyring(), keystore.latest_revocations(), at or timezone.now()
    )
