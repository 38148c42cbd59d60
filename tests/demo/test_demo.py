"""The synthetic city: deterministic by seed, shaped like the article, loadable through the imports."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

import pytest

from homeward.core.identity import inspect_ric, normalize_mobile, validate_uscc
from homeward.demo.generate import DEMO_TODAY, generate_city

TEN_PROVINCES = {"52", "34", "41", "51", "36", "43", "42", "53", "50", "45"}
CIXI_TOWNS = {
    "浒山街道", "宗汉街道", "坎墩街道", "白沙路街道", "古塘街道", "陆中湾街道",
    "龙山镇", "掌起镇", "观海卫镇", "附海镇", "桥头镇", "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇",
    "崇寿镇", "庵东镇", "长河镇", "周巷镇",
}  # fmt: skip


@pytest.fixture(scope="module")
def small():
    city = generate_city("small", 1)
    rows = list(city.roster_rows())
    return city, rows


def _head_tail(rows, n=25):
    return rows[:n] + rows[-n:]


def test_it_builds_the_same_city_from_the_same_seed(small):
    city, rows = small
    again = generate_city("small", 1)
    rows2 = list(again.roster_rows())
    assert again.enterprises == city.enterprises
    assert len(rows2) == len(rows) and _head_tail(rows2) == _head_tail(rows)
    assert rows2 == rows
    assert list(again.police_rows()) == list(city.police_rows())
    assert list(again.carrier_rows()) == list(city.carrier_rows())
    assert again.risk_levels == city.risk_levels
    assert again.truth.returned_ids == city.truth.returned_ids
    # asking twice for the same rows gives the same rows
    assert list(itertools.islice(city.police_rows(), 50)) == list(itertools.islice(again.police_rows(), 50))


def test_it_builds_another_city_from_another_seed(small):
    city, rows = small
    other = generate_city("small", 2)
    other_rows = list(other.roster_rows())
    assert [e.uscc for e in other.enterprises] != [e.uscc for e in city.enterprises]
    assert _head_tail(other_rows) != _head_tail(rows)
    assert other.truth.returned_ids != city.truth.returned_ids


def test_it_has_cixis_20_towns_and_valid_enterprises(small):
    city, _rows = small
    assert {t.name for t in city.towns} == CIXI_TOWNS
    assert len(city.enterprises) == 120
    assert len({e.uscc for e in city.enterprises}) == 120
    assert len({e.name for e in city.enterprises}) == 120
    for e in city.enterprises:
        assert validate_uscc(e.uscc) == e.uscc
        assert e.uscc[2:8] == "330282"
        assert normalize_mobile(e.contact_phone) == e.contact_phone
        assert e.town in CIXI_TOWNS
    sizes = sorted((e.workers for e in city.enterprises), reverse=True)
    assert sum(sizes) == 6_700
    assert sizes[0] >= 300  # a heavy tail: key enterprises…
    assert sum(s < 20 for s in sizes) > len(sizes) / 2  # …and mostly small ones
    assert all(e.is_key == (e.workers >= 300) for e in city.enterprises)


def test_it_makes_valid_unique_workers(small):
    city, rows = small
    assert len(rows) == 6_700
    ids = [r["id_number"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert len({r["phone"] for r in rows}) == len(rows)
    usccs = {e.uscc: e for e in city.enterprises}
    origins: Counter[str] = Counter()
    historical = 0
    for row in rows:
        assert set(row) == {"uscc", "enterprise_name", "town", "id_number", "name", "phone", "insured_since"}
        result = inspect_ric(row["id_number"], today=DEMO_TODAY)
        assert result.valid, (row, result)
        assert inspect_ric(row["id_number"]).origin_code == result.origin_code  # same today as in 2020
        assert 1965 <= result.birth_date.year <= 2004
        assert result.origin_code is not None
        origins[result.origin_code] += 1
        historical += result.code_at_issue != result.origin_code
        assert normalize_mobile(row["phone"]) == row["phone"]
        assert 2 <= len(row["name"]) <= 4
        assert row["enterprise_name"] == usccs[row["uscc"]].name
        assert date(2008, 1, 1) <= date.fromisoformat(row["insured_since"]) <= date(2020, 1, 10)
    assert 0.02 < historical / len(rows) < 0.12  # ~5% of IDs carry a code valid only at birth
    # the truth agrees with what the IDs say about origins
    truth = city.truth
    assert {c: truth.away_by_county.get(c, 0) + truth.returned_by_county.get(c, 0) for c in origins} == dict(
        origins
    )
    assert not any(c.startswith("3302") for c in origins)  # no locals from Ningbo


def test_it_has_the_articles_proportions(small):
    city, rows = small
    truth = city.truth
    assert truth.roster_total == 6_700
    assert abs(truth.returned_total / truth.roster_total - 270 / 670) < 0.04
    by_province: Counter[str] = Counter()
    for county, n in itertools.chain(truth.away_by_county.items(), truth.returned_by_county.items()):
        by_province[county[:2]] += n
    assert sum(n for p, n in by_province.items() if p in TEN_PROVINCES) / 6_700 > 0.85
    assert by_province["33"] > 0 and len(by_province) > 12  # a long tail, Zhejiang included
    top = {p for p, _n in by_province.most_common(4)}
    assert top <= {"52", "51", "41", "34"}


def test_it_records_arrivals_for_returned_workers_and_noise(small):
    city, rows = small
    roster_ids = {r["id_number"] for r in rows}
    returned = set(city.truth.returned_ids)
    police = list(city.police_rows())
    per_id = Counter(r["id_number"] for r in police)
    assert set(per_id) & roster_ids == returned
    assert all(1 <= per_id[i] <= 2 for i in returned)
    noise = [r for r in police if r["id_number"] not in roster_ids]
    assert 0.03 < len(noise) / len(police) < 0.15
    assert all(inspect_ric(r["id_number"], today=DEMO_TODAY).valid for r in noise)
    keys = [(r["id_number"], r["arrived_on"], r["place"]) for r in police]
    assert len(set(keys)) == len(keys)
    assert all(date(2020, 2, 1) <= date.fromisoformat(r["arrived_on"]) <= date(2020, 2, 27) for r in police)
    assert Counter(r["place"] for r in police).most_common(1)[0][0] == "余姚北站"


def test_it_gives_carrier_counts_that_roughly_agree(small):
    city, _rows = small
    truth = city.truth
    last_day = max(r["date"] for r in city.carrier_rows())
    counts = {r["county_code"]: int(r["count"]) for r in city.carrier_rows() if r["date"] == last_day}
    outliers = dict(city.carrier_outliers)
    assert len(outliers) == 2
    big = [c for c, n in truth.away_by_county.items() if n >= 40 and c not in outliers]
    assert big
    for county in big:
        assert 0.7 * truth.away_by_county[county] <= counts[county] <= 1.3 * truth.away_by_county[county]
    for county, factor in outliers.items():
        ratio = counts[county] / truth.away_by_county[county]
        assert abs(ratio - factor) < 0.35 * factor


def test_it_rates_hubei_high_and_most_counties_low(small):
    city, _rows = small
    levels = dict(city.risk_levels)
    assert levels["420102"] == "high"  # 武汉 江岸区
    assert all(v != "low" for c, v in levels.items() if c.startswith("42"))
    counts = Counter(levels.values())
    assert counts["low"] > 0.9 * len(levels)


@pytest.mark.slow
def test_it_puts_20_prefectures_over_10000_away_at_city_scale():
    truth = generate_city("city", 1).truth
    assert 660_000 <= truth.roster_total <= 680_000
    assert 255_000 <= truth.returned_total <= 285_000
    over = {p for p, n in truth.away_by_prefecture().items() if n > 10_000}
    assert len(over) >= 20
    assert {"511500", "520500", "411400"} <= over  # 宜宾, 毕节, 商丘


# ------------------------------------------------------------------------------------------------
# Loading into the database
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_it_loads_the_small_city_with_one_login_per_role(fast_passwords):
    from django.contrib.auth import authenticate

    from homeward.apps.accounts.models import Profile
    from homeward.apps.accounts.roles import Role
    from homeward.apps.registry.models import (
        CarrierAggregate,
        CountyRisk,
        Enterprise,
        PoliceArrival,
        RosterMembership,
        Town,
        Worker,
    )
    from homeward.demo.load import PASSWORD, DemoError, demo_logins, load_city

    city = generate_city("small", 1)
    result = load_city(city)
    truth = city.truth
    assert Town.objects.count() == 20
    assert Enterprise.objects.count() == 120
    assert Enterprise.objects.filter(is_key=True).exclude(industry="").count() == sum(
        e.is_key for e in city.enterprises
    )
    assert Worker.objects.count() == RosterMembership.objects.count() == 6_700
    assert Worker.objects.filter(status="returned").count() == truth.returned_total
    assert Worker.objects.filter(status="away").count() == truth.away_total
    away_by_origin = Counter(Worker.objects.filter(status="away").values_list("origin_code", flat=True))
    assert dict(away_by_origin) == truth.away_by_county
    assert PoliceArrival.objects.count() == len(list(city.police_rows())) == result.counts["police_rows"]
    assert CarrierAggregate.objects.count() == len(list(city.carrier_rows()))
    assert CountyRisk.objects.filter(level="high").exists()

    roles = Counter(Profile.objects.values_list("role", flat=True))
    # (no escort login yet: its medical escort comes with the campaign day, which this load leaves out)
    assert set(roles) == {r.value for r in Role} - {Role.ESCORT}
    assert roles["enterprise"] == 2 and sum(roles.values()) == 10
    e1, e2 = (p.enterprise for p in Profile.objects.filter(role="enterprise").order_by("user__username"))
    assert e1.workers.count() == max(e.workers for e in city.enterprises)
    assert e1.town_id != e2.town_id
    assert Profile.objects.get(role="town").town.name == "浒山街道"
    assert Profile.objects.get(role="service_team").province_code == "52"
    assert Profile.objects.get(role="station").place == "余姚北站"
    worker_name = Profile.objects.get(role="worker").display_name
    assert Worker.objects.filter(name=worker_name, employer=e1).exists()
    assert [login.username for login in demo_logins()] == [login.username for login in result.logins]
    for login in result.logins:
        assert authenticate(username=login.username, password=PASSWORD) is not None

    with pytest.raises(DemoError) as refused:
        load_city(city)
    assert refused.value.code == "demo_not_empty"
    assert "--reset" in refused.value.message

    again = load_city(generate_city("small", 2), reset=True)
    assert Enterprise.objects.count() == 120 and Worker.objects.count() == 6_700
    assert Profile.objects.count() == 10 and again.counts["users"] == 10


@pytest.mark.django_db
def test_it_will_not_reset_under_other_users_bound_to_the_registry(fast_passwords, enterprise_user):
    from homeward.demo.load import DemoError, load_city

    with pytest.raises(DemoError) as refused:
        load_city(generate_city("small", 1), reset=True)
    assert refused.value.code == "demo_reset_blocked"


def test_it_offers_the_demo_command():
    from homeward.cli import build_parser

    args = build_parser().parse_args(["demo", "--seed", "7", "--reset"])
    assert (args.scale, args.seed, args.reset, args.logins) == ("small", 7, True, False)
    assert build_parser().parse_args(["demo", "--scale", "city"]).scale == "city"
