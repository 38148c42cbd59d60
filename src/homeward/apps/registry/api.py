"""Registry endpoints: towns, enterprises and workers (masked), each scoped to the caller."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.params import functions as param_functions

from homeward.api_contract import MAX_BIGINT, Id, answers
from homeward.apps.accounts.policy import allows
from homeward.apps.accounts.roles import profile_of
from homeward.apps.registry import selectors
from homeward.apps.registry.personal_data import PersonSchema, RevealedOut, person_out

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


class WorkerOut(PersonSchema):
    id: int
    name: str
    age_band: str
    employer_id: int | None
    status: str

    @staticmethod
    def resolve_age_band(obj: Any) -> str:
        return person_out(obj).age_band


class WorkerContactOut(RevealedOut):
    worker_id: int  # the same as ``id``

    @staticmethod
    def resolve_worker_id(obj: Any) -> int:
        return int(obj.id)


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
        "sees_personal_data": allows(request.user, "personal_data.read"),
    }


@router.get("/towns", response=answers(list[TownOut]), summary="The city's towns 镇街")
@paginate
def towns(request: HttpRequest) -> Any:
    return selectors.town_list()


@router.get(
    "/enterprises", response=answers(list[EnterpriseOut]), summary="Enterprises visible to the caller"
)
@paginate
def enterprises(request: HttpRequest, town: str = "", q: str = "", key_only: bool = False) -> Any:
    return selectors.enterprise_list(actor=request.user, town=town, search=q, key_only=key_only)


@router.get(
    "/workers",
    response=answers(list[WorkerOut]),
    summary="Workers visible to the caller, masked (each page read is audited; search by full ID "
    "number for roles with personal-data rights only)",
)
@paginate(audit="worker")
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
    return selectors.worker_reveal(actor=request.user, worker_id=worker_id)
