"""The one policy for personal data leaving Homeward: API, pages, exports, manifests and the admin.

A worker-ish record (a registry ``Worker``, an application's ``ApplicationWorker``) goes out in one
form, :class:`PersonOut`, built by :func:`person_out` and nowhere else:

============  ==========================================  ===========================================
field         every role, everywhere (lists, pages,       task force and health (policy action
              exports, API, admin)                        ROLES``)
============  ==========================================  ===========================================
ID number     masked, first 4 + last 4                    the same; in full only through
              (``3302**********1234``)                    :func:`person_reveal`, one audited record
phone         masked (``138****5678``)                    the same; in full through the reveal
origin        today's county (code and full name)         the same
birth date    never; an age band of ten years at most     the same (the revealed ID contains it)
              (``30–39``), and only in the registry API
============  ==========================================  ===========================================

Why exactly these. An 18-digit ID is ``AAAAAA YYYYMMDD SSS C``; the mask shows the prefecture (4
digits) and the sequence number with the check digit (4), and hides the county (2) and the birth
date (8). Anything shown beside a masked ID that pins those 10 digits rebuilds it: the full birth
date with the origin county leaves one candidate, and the check digit even makes the birth date
alone enough (a prefecture has ~10 counties, the check digit keeps 1 in 11). So the birth date
never travels beside a mask. The origin county is operational (pickups, service teams) and gives
away the 2 county digits; what is left is the birth date: ~50 working-age years of days, kept 1 in
11 by the check digit, ≈ 1,660 candidates, and ≥ 133 with the age band (the open-ended bands are
the narrowest). :data:`MIN_ID_CANDIDATES` is the floor the attacker test
(``tests/privacy/test_id_rebuild.py``) enforces over every outward form and role.

Searching by a full ID number answers "is this one of yours?": over the candidates above that is
an oracle that rebuilds the number, so only roles with personal-data rights may search by ID
(:func:`require_id_search`), and each such search is audited with the list read.

Lists of personal data and their exports are audited once per read (filters and row count, never
the rows): :func:`audit_list_read`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from django.utils import timezone
from ninja import Schema

from homeward.apps.accounts.policy import allows
from homeward.apps.audit.services import audit_record
from homeward.core import regions
from homeward.core.errors import DomainError, NotFound, PermissionDenied
from homeward.core.identity import mask_phone, mask_ric

#: The fewest full ID numbers that must stay consistent with everything one role sees of a person.
MIN_ID_CANDIDATES = 100

#: Fields a worker-ish record holds that the mask exists to hide: never in an outward form.
HIDDEN_BY_MASK = frozenset({"birth_date", "code_at_issue"})

# Ten-year bands; the youngest and oldest are open (a worker is at least 16).
_BANDS = ((20, "<20"), (30, "20–29"), (40, "30–39"), (50, "40–49"), (60, "50–59"))
_OLDEST_BAND = "60+"


@dataclass(frozen=True, slots=True)
class PersonOut:
    """A person as it may leave the system. ``id``: the record's primary key (for a reveal)."""

    id: int
    id_number: str
    phone: str
    masked: bool
    origin_code: str
    origin_name: str
    age_band: str


def age_band(birth: date | None, today: date) -> str:
    """The ten-year band of the age on ``today`` (``"30–39"``; ``"<20"``, ``"60+"``); "" if unknown."""
    if birth is None:
        return ""
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return next((label for upper, label in _BANDS if age < upper), _OLDEST_BAND)


def _person(record: Any, *, masked: bool) -> PersonOut:
    origin = str(getattr(record, "origin_code", "") or "")
    phone = str(getattr(record, "phone", "") or "")  # police records carry none
    return PersonOut(
        id=int(record.pk),
        id_number=mask_ric(record.id_number) if masked else str(record.id_number),
        phone=mask_phone(phone) if masked else phone,
        masked=masked,
        origin_code=origin,
        origin_name=regions.full_name_or_code(origin) if origin else "",
        age_band=age_band(getattr(record, "birth_date", None), timezone.localdate()),
    )


def person_out(record: Any) -> PersonOut:
    """The outward (masked) form of a ``Worker`` or ``ApplicationWorker``, for every role."""
    return _person(record, masked=True)


def may_reveal(actor: Any) -> bool:
    """Whether the actor's role may see full ID numbers and phones (each time audited)."""
    return allows(actor, "personal_data.read")


def _refuse_reveal(actor: Any, object_type: str, object_id: object, exc: DomainError) -> NoReturn:
    audit_record(
        actor=actor, action=f"denied.{object_type}.reveal", object_type=object_type, object_id=object_id
    )
    raise exc


def person_reveal(*, actor: Any, record: Any | None, object_type: str, object_id: object) -> PersonOut:
    """The full ID number and phone of one record the caller found in the actor's scope (None: not
    in scope), for a role that may see them; the read or the denial is audited either way.

    Not wrapped in a transaction on purpose: a denial raises, and its audit event must still land.
    """
    if record is None:
        _refuse_reveal(
            actor,
            object_type,
            object_id,
            NotFound("找不到该人员 (no such person in your scope)", "not_found"),
        )
    return people_reveal(actor=actor, records=[record], object_type=object_type, object_id=record.pk)[0]


def people_reveal(
    *,
    actor: Any,
    records: Sequence[Any],
    object_type: str,
    object_id: object,
    data: Mapping[str, Any] | None = None,
) -> list[PersonOut]:
    """The full forms of several records read together (a vehicle's passenger list for the health
    authority) with one audit event, for a role that may see them; a refusal is audited and raised."""
    if not may_reveal(actor):
        _refuse_reveal(
            actor,
            object_type,
            object_id,
            PermissionDenied(
                "您的角色无权查看完整个人信息 (your role may not see personal data)", "forbidden"
            ),
        )
    audit_record(
        actor=actor,
        action=f"{object_type}.reveal",
        object_type=object_type,
        object_id=object_id,
        data={**(data or {}), "rows": len(records), "fields": ["id_number", "phone"]},
    )
    return [_person(r, masked=False) for r in records]


def looks_like_id_number(term: str) -> bool:
    """Whether a search term is a whole resident ID number: 15 or 18 characters, digits with an
    optional final X."""
    s = "".join(term.split()).upper()
    return len(s) in (15, 18) and s[:-1].isdigit() and (s[-1].isdigit() or s[-1] == "X")


def require_id_search(*, actor: Any, term: str, object_type: str) -> None:
    """Refuse (audited) a search by full ID number from a role without personal-data rights."""
    if term and looks_like_id_number(term) and not may_reveal(actor):
        audit_record(
            actor=actor,
            action=f"denied.{object_type}.search_by_id",
            object_type=object_type,
            data={"q": mask_ric(term)},
        )
        raise PermissionDenied(
            "按完整身份证号查找需要个人信息权限，请按姓名查找 "
            "(searching by ID number needs personal-data rights; search by name)",
            "id_search_forbidden",
        )


def _safe_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Filters as they go into the audit log: empty ones dropped, an ID number masked."""
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None or value is False or value == "":
            continue
        if isinstance(value, str) and looks_like_id_number(value):
            value = mask_ric(value)
        out[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return out


def audit_list_read(
    *,
    actor: Any,
    what: str,
    rows: int,
    filters: Mapping[str, Any] | None = None,
    total: int | None = None,
    export: bool = False,
    object_id: object = "",
) -> None:
    """One audit event for one read of a list of people (a page, an API page, an export): what was
    read, with which filters, how many rows went out (and of how many). Never the rows."""
    data: dict[str, Any] = {"rows": rows, "filters": _safe_filters(filters or {})}
    if total is not None:
        data["total"] = total
    audit_record(
        actor=actor,
        action=f"{what}.{'export' if export else 'list'}",
        object_type=what,
        object_id=object_id,
        data=data,
    )


class PersonSchema(Schema):
    """The API's form of :func:`person_out`: masked ID and phone, origin county, never the birth
    date. Every response schema with an ``id_number`` derives from this one (a test checks)."""

    id_number: str
    phone: str
    masked: bool
    origin_code: str
    origin_name: str

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return person_out(obj).id_number

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return person_out(obj).phone

    @staticmethod
    def resolve_masked(obj: Any) -> bool:
        return True

    @staticmethod
    def resolve_origin_name(obj: Any) -> str:
        return person_out(obj).origin_name


class RevealedOut(Schema):
    """The answer of a reveal operation (``…/reveal``, audited): the only schema that carries a full
    ID number and phone (``masked`` false)."""

    id: int
    id_number: str
    phone: str
    masked: bool
