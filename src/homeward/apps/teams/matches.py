"""Reads for recruiting pages: a province's recruits with their best vacancies and offers; an
enterprise's vacancies with their best recruits (masked); the open vacancies a team sees. Ranking
is ``core.matching``, with a recruit near a bus that has a free seat ranked higher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeward.apps.accounts.policy import authorize, scoped
from homeward.apps.teams.models import Offer, Recruit, Vacancy
from homeward.apps.teams.recruiting import seat_areas
from homeward.apps.teams.scope import team_province
from homeward.core import matching
from homeward.core.identity import mask_phone, mask_ric

SHOWN = 5


def _vacancy_facts(v: Vacancy) -> matching.VacancyFacts:
    return matching.VacancyFacts(v.pk, frozenset(v.skills), v.pay_min, v.pay_max, v.town.code)


def _recruit_facts(r: Recruit, areas: list[str]) -> matching.RecruitFacts:
    near = any(r.county.startswith(a) for a in areas)
    return matching.RecruitFacts(r.pk, frozenset(r.skills), r.pay_wanted, r.county, frozenset(r.towns), near)


@dataclass
class RecruitRow:
    recruit: Recruit
    id_number: str
    phone: str
    seat_nearby: bool
    best: list[tuple[Vacancy, matching.Match]]
    offers: list[Offer]


def recruits_page(*, actor: Any, province: str = "") -> tuple[str, list[RecruitRow]]:
    """The province's recruits (newest first), each with its best open vacancies and its offers."""
    province = team_province(actor, "recruit.register", province)
    areas = seat_areas()
    vacancies = {v.pk: v for v in Vacancy.objects.filter(open=True).select_related("town", "enterprise")}
    facts = [_vacancy_facts(v) for v in vacancies.values()]
    recruits = list(scoped(actor, Recruit.objects.filter(province=province))[:100])
    offers: dict[int, list[Offer]] = {}
    for o in scoped(actor, Offer.objects.filter(recruit__in=recruits)).select_related("vacancy__enterprise"):
        offers.setdefault(o.recruit_id, []).append(o)
    rows = []
    for r in recruits:
        rf = _recruit_facts(r, areas)
        best = [(vacancies[m.vacancy], m) for m in matching.rank_vacancies(rf, facts)[:SHOWN]]
        rows.append(
            RecruitRow(
                r, mask_ric(r.id_number), mask_phone(r.phone), rf.seat_nearby, best, offers.get(r.pk, [])
            )
        )
    return province, rows


@dataclass
class VacancyRow:
    vacancy: Vacancy
    best: list[tuple[Recruit, str, matching.Match, Offer | None]]  # recruit, masked ID, match, offer


def vacancies_page(*, actor: Any) -> list[VacancyRow]:
    """The vacancies the actor sees; for those it may offer (its own), the best recruits, masked."""
    authorize(actor, "vacancy.read")
    vacancies = list(scoped(actor, Vacancy.objects.select_related("town", "enterprise"))[:100])
    from homeward.apps.accounts.policy import allows

    if not allows(actor, "offer.make"):
        return [VacancyRow(v, []) for v in vacancies]
    areas = seat_areas()
    recruits = {r.pk: r for r in scoped(actor, Recruit.objects.exclude(offers__state="accepted"))[:2000]}
    facts = [_recruit_facts(r, areas) for r in recruits.values()]
    offered = {(o.vacancy_id, o.recruit_id): o for o in Offer.objects.filter(vacancy__in=vacancies)}
    rows = []
    for v in vacancies:
        ranked = matching.rank_recruits(_vacancy_facts(v), facts)[:SHOWN]
        rows.append(
            VacancyRow(
                v,
                [
                    (
                        recruits[m.recruit],
                        mask_ric(recruits[m.recruit].id_number),
                        m,
                        offered.get((v.pk, m.recruit)),
                    )
                    for m in ranked
                ],
            )  # fmt: skip
        )
    return rows
