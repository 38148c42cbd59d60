"""Registry endpoints: towns, enterprises and workers (masked), each scoped to the caller."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.params import functions as param_functions

from homeward.api_contract import MAX_BIGINT, Id, LimitOffset, answers
from homeward.apps.accounts.roles import profile_of
from homeward.apps.registry import selectors
from homeward.apps.registry.personal_data import worker_contact_masked, worker_reveal

router = Router(tags=["registry 登记册"])


class TownOut(Schema):
    code: str
    name: str
    kind: str


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    town: str
    industry: str
    size: str
    is_key: bool
    roster_count: int
    returned_count: int
    away_count: int

    @staticmethod
    def resolve_town(obj: Any) -> str:
        return str(obj.town.name)


class WorkerOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str
    masked: bool
    origin_code: str
    birth_date: date
    employer_id: int | None
    status: str

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return worker_contact_masked(obj).id_number

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return worker_contact_masked(obj).phone

    @staticmethod
    def resolve_masked(obj: Any) -> bool:
        return True


class WorkerContactOut(Schema):
    worker_id: int
    id_number: str
    phone: str
    masked: bool


class MeOut(Schema):
    username: str
    role: str | None
    enterprise_id: int | None
    town_code: str | None
    sees_personal_data: bool


@router.get("/me", response=answers(MeOut), summary="The signed-in user and role")
def me(request: HttpRequest) -> dict[str, Any]:
    profile = profile_of(request.user)
    return {
        "username": request.user.get_username(),
        "role": profile.role if profile else None,
        "enterprise_id": profile.enterprise_id if profile else None,
        "town_code": profile.town.code if profile and profile.town else None,
        "sees_personal_data": bool(profile and profile.sees_personal_data),
    }


@router.get("/towns", response=answers(list[TownOut]), summary="The city's towns 镇街")
def towns(request: HttpRequest) -> Any:
    return selectors.town_list()


@router.get(
    "/enterprises", response=answers(list[EnterpriseOut]), summary="Enterprises visible to the caller"
)
@paginate(LimitOffset)
def enterprises(request: HttpRequest, town: str = "", q: str = "", key_only: bool = False) -> Any:
    return selectors.enterprise_list(actor=request.user, town=town, search=q, key_only=key_only)


@router.get("/workers", response=answers(list[WorkerOut]), summary="Workers visible to the caller, masked")
@paginate(LimitOffset)
def workers(
    request: HttpRequest,
    # Not the Id alias: @paginate resolves annotations in its own module, where Id is unknown.
    enterprise: int | None = param_functions.Query(None, ge=1, le=MAX_BIGINT),
    status: str = "",
    q: str = "",
) -> Any:
    return selectors.worker_list(actor=request.user, enterprise_id=enterprise, status=status, search=q)


@router.post(
    "/workers/{worker_id}/reveal",
    response=answers(WorkerContactOut, errors=(404,)),
    summary="Full ID number and phone of one worker (roles with personal-data rights; audited)",
)
def reveal(request: HttpRequest, worker_id: Id) -> Any:
    return worker_reveal(actor=request.user, worker_id=worker_id)
