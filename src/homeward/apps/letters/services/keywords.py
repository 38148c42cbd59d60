"""SMS keyword replies: the gateway passes on what workers texted back (grammar in
``core.outreach.keywords``); each message becomes the same reply and intention as the form
(``reply_record``), an opt-out, or a refusal with a reason — one answer per message, never an
exception for a bad one. The sender's phone is matched to the worker a letter was written to. Safe to
retry: the gateway's message id is unique, and an id seen before answers what it got the first time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.services import audit_record
from homeward.apps.letters.models import KeywordMessage, OptOut
from homeward.apps.letters.services.replies import reply_record
from homeward.apps.registry.models import Worker
from homeward.core.errors import DomainError
from homeward.core.outreach.keywords import KeywordOptOut, KeywordReply, parse_keywords


@dataclass(frozen=True, slots=True)
class KeywordAnswer:
    id: str
    outcome: str  # replied / opted_out / refused
    reason: str
    message: str
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "outcome": self.outcome, "reason": self.reason, "message": self.message,
            "duplicate": self.duplicate,
        }  # fmt: skip


def _answer(row: KeywordMessage, *, duplicate: bool) -> KeywordAnswer:
    return KeywordAnswer(row.message_id, row.outcome, row.reason, row.message, duplicate)


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", str(value))
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _addressee(phone: str) -> Worker:
    """The one worker with this phone who was written to."""
    found = list(Worker.objects.filter(phone=phone, letters__isnull=False).distinct()[:2])
    if not found:
        raise DomainError("此号码未收到家书 (no letter was sent to this number)", "unknown_phone")
    if len(found) > 1:
        raise DomainError(
            "多人使用此号码，请用链接回复 (several workers share this number: reply by link)", "shared_phone"
        )
    return found[0]


def _receive(actor: Any, message_id: str, phone: str, text: str) -> KeywordAnswer:
    now = timezone.now()
    row = KeywordMessage(message_id=message_id, phone=phone[:20], text=text[:500], received_at=now)
    parsed = parse_keywords(text, timezone.localdate(now))
    try:
        with transaction.atomic():
            try:
                row.person = _addressee(phone)
                if isinstance(parsed, KeywordReply):
                    row.reply = reply_record(
                        actor=actor, person=row.person, kind=parsed.kind,
                        return_date=parsed.return_date.isoformat() if parsed.return_date else "",
                        county=parsed.county, needs_transport=parsed.needs_transport,
                        health_code=parsed.health_code, reason=parsed.reason, nonce=f"sms:{message_id}",
                        source="keyword",
                    )  # fmt: skip
                    row.outcome = "replied"
                elif isinstance(parsed, KeywordOptOut):
                    OptOut.objects.get_or_create(person=row.person, defaults={"at": now, "source": "keyword"})
                    row.outcome = "opted_out"
                else:
                    raise DomainError(parsed.message, parsed.reason)
            except DomainError as refused:
                row.outcome, row.reason, row.message = "refused", refused.code[:40], refused.message[:200]
            row.save()
            audit_record(
                actor=actor, action="letter.sms_inbound", object_type="sms", object_id=row.pk,
                data={"message": message_id, "worker": row.person_id, "outcome": row.outcome,
                      "reason": row.reason},
            )  # fmt: skip
    except IntegrityError:  # the same message id at the same time
        return _answer(KeywordMessage.objects.get(message_id=message_id), duplicate=True)
    return _answer(row, duplicate=False)


def sms_keywords_receive(*, actor: Any, messages: list[dict[str, str]]) -> list[KeywordAnswer]:
    """Each of the gateway's ``messages`` (``id``, ``phone``, ``text``) answered on its own."""
    authorize(actor, "letter.sms_inbound")
    answers = []
    for m in messages:
        message_id = str(m.get("id", ""))[:64]
        seen = KeywordMessage.objects.filter(message_id=message_id).first()
        if seen is not None:
            answers.append(_answer(seen, duplicate=True))
        else:
            answers.append(_receive(actor, message_id, _phone(m.get("phone", "")), str(m.get("text", ""))))
    return answers
