"""Matching recruits (新员工招录) to vacancies (岗位需求互通): pure ranking, no Django.

``apps.teams`` turns rows into ``VacancyFacts`` and ``RecruitFacts`` and asks ``rank_vacancies``
(the vacancies for one recruit) or ``rank_recruits`` (the recruits for one vacancy). A pair's
``score`` is a tuple compared lexicographically, best first:

1. the pay fits: the vacancy's top pay reaches what the recruit asks (a recruit asking nothing fits);
2. the skills the vacancy asks for that the recruit has (more first);
3. a trip with a free seat leaves from the recruit's county (they can travel at once);
4. the vacancy is in a town the recruit prefers (no preference: every town is preferred);
5. the vacancy's top pay (higher first).

Ties keep a stable order by id, so the same input gives the same ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VacancyFacts:
    id: int
    skills: frozenset[str]
    pay_min: int  # yuan per month
    pay_max: int
    town: str  # town code


@dataclass(frozen=True, slots=True)
class RecruitFacts:
    id: int
    skills: frozenset[str]
    pay_wanted: int  # yuan per month; 0: no ask
    county: str
    towns: frozenset[str] = frozenset()  # preferred towns; empty: any
    seat_nearby: bool = False  # a planned trip with a free seat leaves from ``county``


@dataclass(frozen=True, slots=True)
class Match:
    vacancy: int
    recruit: int
    score: tuple[int, int, int, int, int]
    skills_met: int
    pay_fits: bool
    seat_nearby: bool


def match(v: VacancyFacts, r: RecruitFacts) -> Match:
    """The score of recruit ``r`` for vacancy ``v`` (see the module docstring)."""
    pay_fits = r.pay_wanted <= v.pay_max
    skills_met = len(v.skills & r.skills)
    town_ok = not r.towns or v.town in r.towns
    score = (int(pay_fits), skills_met, int(r.seat_nearby), int(town_ok), v.pay_max)
    return Match(v.id, r.id, score, skills_met, pay_fits, r.seat_nearby)


def rank_vacancies(recruit: RecruitFacts, vacancies: Iterable[VacancyFacts]) -> list[Match]:
    """The vacancies for ``recruit``, best first."""
    return sorted((match(v, recruit) for v in vacancies), key=lambda m: (_desc(m.score), m.vacancy))


def rank_recruits(vacancy: VacancyFacts, recruits: Iterable[RecruitFacts]) -> list[Match]:
    """The recruits for ``vacancy``, best first."""
    return sorted((match(vacancy, r) for r in recruits), key=lambda m: (_desc(m.score), m.recruit))


def _desc(score: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-x for x in score)
