"""The worker's own page, without an account.

Reaching it (``worker_link_issue`` by the enterprise for its own workers or by the task force):

- a **one-time link** ``<public url>/w/start/?k=<token>``: 32 random bytes, stored as their SHA-256
  only. Opening it shows a button; pressing it (a POST, so a chat app's link preview cannot spend it)
  marks the link used in a conditional UPDATE — once — and starts a session for that worker only,
  expiring after ``SESSION_HOURS``. The token travels in the query string, which the request log
  never writes (``ops.middleware.RequestLogMiddleware`` logs the path only), and is never audited.
- a **short code** (8 characters without look-alikes) + the ID number's last four, for a worker who
  lost the link or comes back another day: works until the link expires (``LINK_DAYS``). Failures
  are audited and rate limited like the staff sign-in (``ops.login``): HOMEWARD_LOGIN_FAILURES_PER_USER
  for one code since its last success, or HOMEWARD_LOGIN_FAILURES_PER_IP from one address, within
  HOMEWARD_LOGIN_LOCKOUT_MINUTES, lock further tries. A new link for the same worker supersedes the
  old link and code.

On the page (actor ``accounts.policy.WorkerSession``, whose scope is the one worker row): confirm
the trip (the issued ticket's ``confirmed_at``, once), decline it (the worker row's
``declined_at``: the ticket is revoked now and the next plan leaves the worker out, so the seat
goes to someone else), and declare health (append-only ``HealthDeclaration``; the form's nonce makes
a resent form count once). The rule for declaring: from issue until ``DECLARE_CLOSES_BEFORE`` (2 h)
before the first pickup; temperature 34.0-42.0 °C; at or above 37.3 °C, or a code that is not green,
the declaration is stored and the page says the boarding check will route the worker to observation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from homeward.apps.accounts.policy import TICKETS, WorkerSession, authorized, user_of
from homeward.apps.applications.models import ApplicationWorker, HealthCode
from homeward.apps.audit.services import audit_record
from homeward.apps.ops.lockout import locked_scope
from homeward.apps.trips.models import HealthDeclaration, Ticket, TicketState, WorkerLink
from homeward.apps.trips.selectors import scan_state
from homeward.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from homeward.core.scans import OBSERVATION, health_outcome

LINK_DAYS = 14
SESSION_HOURS = 12
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 8
DECLARE_CLOSES_BEFORE = timedelta(hours=2)
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("42.0")
SIGNIN_FAILED, SIGNIN_LOCKOUT, SIGNIN_OK = "worker.signin_failed", "worker.lockout", "worker.signin"


class TooManyAttempts(DomainError):
    status = 429


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """What the issuer prints or sends (the letters home): shown once, stored only as digests."""

    worker_id: int
    url: str
    code: str
    expires_at: datetime


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _code(text: str) -> str:
    return "".join(ch for ch in str(text).upper() if ch.isalnum())[:CODE_LENGTH]


def start_url(token: str) -> str:
    return f"{settings.HOMEWARD_PUBLIC_URL}{reverse('trips:start')}?k={token}"


def worker_link_issue(*, actor: Any, worker_id: int, application_id: int | None = None) -> IssuedLink:
    """A new one-time link and short code for application worker row ``worker_id`` (of
    ``application_id`` when given), by the enterprise for its own workers or the task force; the
    worker's older links stop working."""
    rows = ApplicationWorker.objects.filter(active=True)
    if application_id is not None:
        rows = rows.filter(application_id=application_id)
    worker = authorized(actor, "worker_link.issue", rows, worker_id)
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    code = _new_code()
    with transaction.atomic():
        WorkerLink.objects.filter(worker=worker, superseded_at__isnull=True).update(superseded_at=now)
        link = WorkerLink.objects.create(
            worker=worker, person_id=worker.worker_id, token_hash=_digest(token), code_hash=_digest(code),
            created_by=user_of(actor),
            created_at=now, expires_at=now + timedelta(days=LINK_DAYS),
        )  # fmt: skip
        audit_record(
            actor=actor, action="worker_link.issue", object_type="application_worker", object_id=worker.pk,
            data={"link": link.pk, "application": worker.application_id},
        )  # fmt: skip
    return IssuedLink(worker.pk, start_url(token), code, link.expires_at)


def _new_code() -> str:
    """8 characters of ``CODE_ALPHABET``, uniformly (one random number, written in base 31)."""
    n = secrets.randbelow(len(CODE_ALPHABET) ** CODE_LENGTH)
    out = []
    for _ in range(CODE_LENGTH):
        n, digit = divmod(n, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[digit])
    return "".join(out)


def letter_links_issue(*, created_by: Any, person_ids: list[int]) -> dict[int, IssuedLink]:
    """New links for registry workers ``person_ids`` (a batch of letters home), inside the caller's
    transaction; each worker's older links stop working. The caller (``letters.services.sending``)
    has checked ``campaign.send`` and audits the batch; the tokens and codes are returned once, for
    the letters, and never stored."""
    now = timezone.now()
    expires = now + timedelta(days=LINK_DAYS)
    WorkerLink.objects.filter(person_id__in=person_ids, superseded_at__isnull=True).update(superseded_at=now)
    issued: dict[int, IssuedLink] = {}
    rows = []
    base = start_url("")  # one reverse() for the batch
    created_by_id = getattr(created_by, "pk", None)
    for pk in person_ids:
        token, code = secrets.token_urlsafe(32), _new_code()
        rows.append((pk, _digest(token), _digest(code), created_by_id, now, expires))
        issued[pk] = IssuedLink(pk, base + token, code, expires)
    _links_insert(rows)
    return issued


_LINK_COLUMNS = ("person_id", "token_hash", "code_hash", "created_by_id", "created_at", "expires_at")


def _links_insert(rows: list[tuple[Any, ...]]) -> None:
    """New letter links, many at once: PostgreSQL's COPY (a tenth of the time of an INSERT with
    thousands of parameters, which 400,000 letters need), else bulk_create."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(WorkerLink._meta.db_table)
        copy_in = f"COPY {table} ({', '.join(_LINK_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_in) as copy:
            for row in rows:
                copy.write_row(row)
        return
    WorkerLink.objects.bulk_create(
        [WorkerLink(**dict(zip(_LINK_COLUMNS, row, strict=True))) for row in rows], batch_size=5000
    )


def _usable() -> Any:
    return WorkerLink.objects.filter(superseded_at__isnull=True, expires_at__gt=timezone.now())


def session_of(link: WorkerLink) -> WorkerSession:
    """The session a link opens: its application row, or for a letter's link (a registry worker) the
    worker's live application row if they have one, so that one link serves letters and tickets."""
    person_id = link.person_id or 0
    row = link.worker_id or 0
    if not row and person_id:
        row = (
            ApplicationWorker.objects.filter(worker_id=person_id, active=True, live=True)
            .values_list("pk", flat=True)
            .first()
        ) or 0
    return WorkerSession(row, person_id)


def _link_label(link: WorkerLink) -> tuple[str, int]:
    if link.worker_id:
        return "application_worker", link.worker_id
    return "worker", link.person_id or 0


def worker_link_redeem(*, token: str) -> WorkerSession:
    """Spend a one-time link (once: a conditional UPDATE) and return the worker's session actor.
    NotFound ``link_invalid`` for an unknown, used, superseded or expired link."""
    digest = _digest(str(token or ""))
    with transaction.atomic():
        if not _usable().filter(token_hash=digest, used_at__isnull=True).update(used_at=timezone.now()):
            raise NotFound("链接无效、已使用或已过期 (this link is unknown, used or expired)", "link_invalid")
        link = WorkerLink.objects.get(token_hash=digest)
        session = session_of(link)
        object_type, object_id = _link_label(link)
        audit_record(
            actor=session, action="worker.link_used", object_type=object_type,
            object_id=object_id, data={"link": link.pk},
        )  # fmt: skip
    return session


def worker_code_signin(*, code: str, id_last4: str, ip: str) -> WorkerSession:
    """Sign in with the short code and the ID number's last four. Audited either way (by a digest
    of the code, never the code); TooManyAttempts (429) while locked out, PermissionDenied
    ``bad_code`` for a wrong pair (the same answer whichever half is wrong)."""
    from django.contrib.auth.models import AnonymousUser

    digest = _digest(_code(code))
    key = digest[:16]
    if locked_scope(
        failed=SIGNIN_FAILED, succeeded=SIGNIN_OK, object_type="worker_code", object_id=key, ip=ip
    ):
        audit_record(
            actor=AnonymousUser(), action=SIGNIN_LOCKOUT, object_type="worker_code", object_id=key,
            data={"ip": ip},
        )  # fmt: skip
        raise TooManyAttempts("尝试次数过多，请稍后再试 (too many attempts: try again later)", "locked_out")
    link = _usable().filter(code_hash=digest).select_related("worker", "person").first()
    last4 = str(id_last4 or "").strip().upper()
    holder = (link.worker or link.person) if link is not None else None
    if holder is None or len(last4) != 4 or holder.id_number[-4:].upper() != last4:
        audit_record(
            actor=AnonymousUser(), action=SIGNIN_FAILED, object_type="worker_code", object_id=key,
            data={"ip": ip},
        )  # fmt: skip
        raise PermissionDenied("短码或身份证后四位不正确 (wrong code or ID number last four)", "bad_code")
    session = session_of(link)
    audit_record(actor=session, action=SIGNIN_OK, object_type="worker_code", object_id=key, data={"ip": ip})
    return session


# ------------------------------------------------------------------------------------ on the page


@dataclass(frozen=True, slots=True)
class Trip:
    worker: ApplicationWorker
    ticket: Ticket | None
    declaration: HealthDeclaration | None
    declare_by: datetime | None  # None: no ticket, nothing to declare for
    on_the_way: bool  # a scan of the journey stands: no more confirming or declining

    @property
    def declare_open(self) -> bool:
        """A declaration is still taken (until ``DECLARE_CLOSES_BEFORE`` the first pickup)."""
        return self.declare_by is not None and timezone.now() <= self.declare_by

    @property
    def declared_unwell(self) -> bool:
        d = self.declaration
        # the boarding check's rule (``core.scans.health_outcome``), applied to the declaration
        return d is not None and health_outcome(d.temperature_c, d.health_code)[0] == OBSERVATION


def _first_pickup(ticket: Ticket) -> datetime:
    return min(datetime.fromisoformat(leg["pickup_at"]) for leg in ticket.legs)


def worker_trip(*, actor: Any) -> Trip:
    """The worker's own trip: their row, their issued ticket, their latest declaration."""
    worker_id = actor.application_worker_id if isinstance(actor, WorkerSession) else 0
    worker = authorized(
        actor, "trip.read", ApplicationWorker.objects.select_related("application"), worker_id
    )
    ticket = Ticket.objects.filter(worker=worker, state=TicketState.ISSUED).first()
    declaration = HealthDeclaration.objects.filter(worker=worker).first()
    declare_by = _first_pickup(ticket) - DECLARE_CLOSES_BEFORE if ticket is not None else None
    return Trip(worker, ticket, declaration, declare_by, on_the_way=on_the_way(worker.pk))


def on_the_way(worker_id: int) -> bool:
    """Whether the derived door-to-door state gives this worker a stage (a scan of their journey
    stands: boarded, met at the station, handed over at the gate, or taken to observation): from
    then on the trip is the escorts' and the task force's, not the worker's to confirm or decline
    (a decline then would revoke the ticket of someone on a bus or already at work)."""
    return worker_id in scan_state(workers=[worker_id]).stages


def _refuse_on_the_way(worker_id: int) -> None:
    if on_the_way(worker_id):
        raise Conflict(
            "您已上车或已到达，行程不能再确认或谢绝；如有变化请联系随车人员或企业 "
            "(you have boarded or arrived: the trip can no longer be confirmed or declined; "
            "tell the escort or your employer of any change)",
            "on_the_way",
        )


def _my(actor: Any, action: str) -> tuple[ApplicationWorker, Ticket]:
    worker_id = actor.application_worker_id if isinstance(actor, WorkerSession) else 0
    worker = authorized(actor, action, ApplicationWorker.objects.all(), worker_id)
    ticket = Ticket.objects.filter(worker=worker, state=TicketState.ISSUED).first()
    if ticket is None or worker.declined_at is not None:
        raise Conflict("您目前没有有效车票 (you have no valid ticket now)", "no_ticket")
    return worker, ticket


def trip_confirm(*, actor: Any) -> Ticket:
    """Confirm the trip on the issued ticket (once; confirming again changes nothing)."""
    worker, ticket = _my(actor, "trip.respond")
    with transaction.atomic():
        _refuse_on_the_way(worker.pk)
        if Ticket.objects.filter(pk=ticket.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now()):
            audit_record(
                actor=actor, action="trip.confirm", object_type="ticket", object_id=ticket.pk,
                data={"ticket_id": ticket.ticket_id, "worker": worker.pk},
            )  # fmt: skip
    ticket.refresh_from_db()
    return ticket


def trip_decline(*, actor: Any) -> ApplicationWorker:
    """Decline the trip: the worker row is marked declined (the next plan leaves them out) and the
    ticket revoked now, with a new signed revocation list. Declining again changes nothing."""
    from homeward.apps.applications.services import revocation_list_publish

    worker_id = actor.application_worker_id if isinstance(actor, WorkerSession) else 0
    worker = authorized(actor, "trip.respond", ApplicationWorker.objects.all(), worker_id)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        # a scan of this worker holds their ticket's row lock until it commits (scans._ticket_locked):
        # taking the same lock first, a boarding cannot slip in between the check and the decline
        list(
            Ticket.objects.select_for_update()
            .filter(worker=worker, state=TicketState.ISSUED)
            .values_list("pk")
        )
        if worker.declined_at is None:
            _refuse_on_the_way(worker.pk)
        if ApplicationWorker.objects.filter(pk=worker.pk, declined_at__isnull=True).update(declined_at=now):
            revoked = list(
                Ticket.objects.filter(worker=worker, state=TicketState.ISSUED).values_list(
                    "ticket_id", flat=True
                )
            )
            Ticket.objects.filter(worker=worker, state=TicketState.ISSUED).update(
                state=TicketState.REVOKED, revoked_at=now, revoked_reason="declined"
            )
            audit_record(
                actor=actor, action="trip.decline", object_type="application_worker", object_id=worker.pk,
                data={"application": worker.application_id, "revoked": revoked},
            )  # fmt: skip
            if revoked:
                revocation_list_publish(actor=TICKETS, at=now)
    worker.refresh_from_db()
    return worker


def health_declare(*, actor: Any, health_code: str, temperature: str, nonce: str) -> HealthDeclaration:
    """Store a health declaration (append-only) before the deadline; a resent form (same nonce)
    returns the one already stored."""
    worker, ticket = _my(actor, "health.declare")
    if health_code not in HealthCode.values:
        raise DomainError("请选择健康码颜色 (choose the health code colour)", "bad_health_code")
    try:
        temp = Decimal(str(temperature).strip()).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(
            "体温须为数字，如 36.5 (temperature must be a number such as 36.5)", "bad_temperature"
        ) from None
    if not TEMPERATURE_MIN <= temp <= TEMPERATURE_MAX:
        raise DomainError(
            f"体温须在 {TEMPERATURE_MIN}–{TEMPERATURE_MAX} °C 之间 "
            f"(temperature must be {TEMPERATURE_MIN}–{TEMPERATURE_MAX} °C)",
            "bad_temperature",
        )
    nonce = str(nonce or "")[:64]
    if not nonce:
        raise DomainError("表单已过期，请刷新 (the form expired: reload the page)", "bad_nonce")
    found = HealthDeclaration.objects.filter(worker=worker, nonce=nonce).first()
    if found is not None:
        return found
    now = timezone.now()
    if now > _first_pickup(ticket) - DECLARE_CLOSES_BEFORE:
        raise Conflict(
            "已过申报截止时间（上车前2小时），请在上车时测温 (declarations close 2 h before pickup)",
            "declare_closed",
        )
    try:
        with transaction.atomic():
            d = HealthDeclaration.objects.create(
                worker=worker,
                ticket=ticket,
                health_code=health_code,
                temperature_c=temp,
                declared_at=now,
                nonce=nonce,
            )
            audit_record(
                actor=actor, action="health.declare", object_type="application_worker", object_id=worker.pk,
                data={"declaration": d.pk, "ticket_id": ticket.ticket_id},
            )  # fmt: skip
    except IntegrityError:  # the same form twice at once
        return HealthDeclaration.objects.get(worker=worker, nonce=nonce)
    return d
