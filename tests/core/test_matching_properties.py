"""Ranking recruits and vacancies (``core.matching``): the order of the module docstring, a
deterministic order, and a nearby free seat or one more skill never pushing a recruit down."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from homeward.core.matching import RecruitFacts, VacancyFacts, rank_recruits, rank_vacancies

SKILLS = ["焊工", "电工", "叉车", "缝纫", "注塑"]
skills = st.frozensets(st.sampled_from(SKILLS))
vacancy = st.builds(
    VacancyFacts, id=st.integers(1, 10_000), skills=skills, pay_min=st.just(3000),
    pay_max=st.integers(3000, 9000), town=st.sampled_from(["t1", "t2"]),
)  # fmt: skip
recruit = st.builds(
    RecruitFacts, id=st.integers(1, 10_000), skills=skills, pay_wanted=st.integers(0, 9000),
    county=st.sampled_from(["520502", "341221"]), towns=st.frozensets(st.sampled_from(["t1", "t2"])),
    seat_nearby=st.booleans(),
)  # fmt: skip


def test_pay_then_skills_then_a_seat_nearby() -> None:
    v = VacancyFacts(1, frozenset({"焊工", "电工"}), 4000, 6000, "t1")
    ask_too_much = RecruitFacts(1, frozenset({"焊工", "电工"}), 7000, "520502", seat_nearby=True)
    one_skill_near = RecruitFacts(2, frozenset({"焊工"}), 5000, "520502", seat_nearby=True)
    two_skills_far = RecruitFacts(3, frozenset({"焊工", "电工"}), 5000, "341221")
    one_skill_far = RecruitFacts(4, frozenset({"电工"}), 0, "341221")
    ranked = rank_recruits(v, [ask_too_much, one_skill_far, one_skill_near, two_skills_far])
    assert [m.recruit for m in ranked] == [3, 2, 4, 1]


@given(st.lists(vacancy, max_size=8, unique_by=lambda v: v.id), recruit)
def test_the_ranking_is_the_same_whatever_the_input_order(vs: list[VacancyFacts], r: RecruitFacts) -> None:
    assert rank_vacancies(r, vs) == rank_vacancies(r, list(reversed(vs)))
    scores = [m.score for m in rank_vacancies(r, vs)]
    assert scores == sorted(scores, reverse=True)


@given(vacancy, st.lists(recruit, min_size=1, max_size=8, unique_by=lambda r: r.id), st.data())
def test_a_free_seat_nearby_or_another_wanted_skill_never_moves_a_recruit_down(
    v: VacancyFacts, rs: list[RecruitFacts], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(rs) - 1))
    before = [m.recruit for m in rank_recruits(v, rs)].index(rs[i].id)
    better = replace(rs[i], seat_nearby=True, skills=rs[i].skills | set(list(v.skills)[:1]))
    after = [m.recruit for m in rank_recruits(v, [*rs[:i], better, *rs[i + 1 :]])].index(rs[i].id)
    assert after <= before
