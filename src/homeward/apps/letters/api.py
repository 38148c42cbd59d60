"""``POST /api/v1/letters/sms-inbound``: the SMS gateway passes on the workers' keyword replies to
their letters home (``letters.services.keywords``), each answered on its own — replied, opted out or
refused with a reason. The gateway proves itself with ``settings.HOMEWARD_SMS_INBOUND_SECRET`` in the
``X-Homeward-Sms-Secret`` header; while that setting is empty, every call is refused. A signed-in
user may reach the operation but not act (refused and audited, like any action outside a role)."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import APIKeyHeader

from homeward.api_contract import answers
from homeward.apps.accounts.policy import SystemActor
from homeward.apps.letters.services.keywords import sms_keywords_receive

router = Router(tags=["letters"])
MAX_BATCH = 200
SMS_GATEWAY = SystemActor("sms-gateway", frozenset({"letter.sms_inbound"}))


class SmsGatewaySecret(APIKeyHeader):
    """The gateway by its secret; else a signed-in user as everywhere (to be refused, audited)."""

    param_name = "X-Homeward-Sms-Secret"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        expected = settings.HOMEWARD_SMS_INBOUND_SECRET
        if expected and key and hmac.compare_digest(key.encode(), expected.encode()):
            return SMS_GATEWAY
        from homeward.api import SignedInSession  # the API module mounts this router: import late

        session = SignedInSession()
        return session.authenticate(request, session._get_key(request))


class SmsIn(Schema):
    id: str = Field(..., min_length=1, max_length=64)  # the gateway's message id
    phone: str = Field(..., max_length=20)
    text: str = Field("", max_length=500)


class SmsBatchIn(Schema):
    messages: list[SmsIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class SmsAnswerOut(Schema):
    id: str
    outcome: str  # replied / opted_out / refused
    reason: str
    message: str
    duplicate: bool  # the message id was seen before: the first answer again


class SmsBatchOut(Schema):
    results: list[SmsAnswerOut]


@router.post(
    "/letters/sms-inbound",
    auth=SmsGatewaySecret(),
    response=answers(SmsBatchOut),
    url_name="letters_sms_inbound",
    summary="The SMS gateway's batch of keyword replies to letters home; each answered on its own",
)
def sms_inbound(request: HttpRequest, body: SmsBatchIn) -> Any:
    messages = [{"id": m.id, "phone": m.phone, "text": m.text} for m in body.messages]
    actor = request.auth  # type: ignore[attr-defined]  # ninja sets it: the gateway, or a signed-in user
    return {"results": [a.to_dict() for a in sms_keywords_receive(actor=actor, messages=messages)]}
