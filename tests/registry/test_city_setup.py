"""Setting up the home city: ``homeward setup --city CODE``, the service behind it and the first-run page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from homeward.cli import main
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db


def _setup(code, **kw):
    from homeward.apps.registry.services.city import city_setup

    return city_setup(actor=system_actor(), code=code, **kw)


def _state():
    """Everything the setup writes, as comparable values."""
    from homeward.apps.registry.models import HomeCity, HomeStation, Town

    return (
        list(HomeCity.objects.values()),
        list(HomeStation.objects.order_by("pk").values()),
        list(Town.objects.order_by("pk").values()),
    )


def test_it_sets_up_yiwu_with_its_towns_stations_coach_base_and_names():
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.registry.models import HomeCity, Town
    from homeward.core import regions

    report = _setup("330782")
    city = HomeCity.objects.get()
    yiwu = regions.require("330782")
    assert (city.code, city.name, city.full_name) == ("330782", "义乌市", "浙江省金华市义乌市")
    assert (city.display_name, city.organiser) == ("义乌市", "义乌市企业复工复产返岗专班")
    assert (city.lat, city.lon) == (yiwu.lat, yiwu.lon)  # the coach base
    towns = list(Town.objects.order_by("code"))
    assert [(t.code, t.name, t.kind) for t in towns] == [
        (t.code, t.name, t.kind) for t in regions.towns_of("330782")
    ]
    assert len(towns) == 14 and report.town_kinds == {"街道": 8, "镇": 6}
    # no source locates Yiwu's towns: the county's point, flagged
    assert all(t.approximate_point and (t.lat, t.lon) == (yiwu.lat, yiwu.lon) for t in towns)
    assert report.towns_approximate == 14
    assert [(s.name, s.telecode, s.rank) for s in report.stations] == [("义乌", "YWH", 1), ("金华", "JBH", 2)]
    assert report.stations[0].distance_km < report.stations[1].distance_km
    event = AuditEvent.objects.get(action="city.setup")
    assert event.object_id == "330782" and event.actor_label == "test"


def test_a_second_run_changes_nothing_and_says_so():
    from homeward.apps.audit.models import AuditEvent

    assert _setup("330782").changed
    before = _state()
    again = _setup("330782")
    assert not again.changed and again.changes == []
    assert _state() == before
    assert AuditEvent.objects.filter(action="city.setup").count() == 1


def test_edits_in_the_admin_survive_a_second_run():
    from homeward.apps.registry.models import HomeStation, Town

    _setup("330782")
    HomeStation.objects.filter(name="金华").update(active=False)
    Town.objects.filter(name="佛堂镇").update(lat=29.2, lon=120.1, approximate_point=False)
    assert not _setup("330782").changed
    assert not HomeStation.objects.get(name="金华").active
    assert Town.objects.get(name="佛堂镇").lat == 29.2


def test_display_name_and_organiser_can_be_given_and_changed():
    from homeward.apps.registry.models import HomeCity

    _setup("330782", display_name="义乌", organiser="义乌市返岗专班")
    city = HomeCity.objects.get()
    assert (city.display_name, city.organiser) == ("义乌", "义乌市返岗专班")
    assert not _setup("330782").changed  # None keeps them
    report = _setup("330782", organiser="义乌市企业复工复产返岗专班")
    assert report.changes == ["组织单位 (organiser): 义乌市企业复工复产返岗专班"]


def test_a_prefecture_level_city_without_counties_takes_its_towns_directly():
    report = _setup("441900")
    assert report.city.full_name == "广东省东莞市" and report.towns == 36
    assert [s.name for s in report.stations] == ["东莞", "虎门", "东莞东"]


def test_a_city_without_a_township_level_is_one_town_of_its_own():
    from homeward.apps.registry.models import Town

    _setup("330383")  # 龙港市 runs its communities directly
    assert list(Town.objects.values_list("code", "name", "kind")) == [("330383000000", "龙港市", "其他")]


@pytest.mark.parametrize(
    ("code", "reason"), [("999999", "unknown_city"), ("33078", "unknown_city"), ("abc", "unknown_city"),
                         ("330700", "not_a_county"), ("330000", "not_a_county")],
)  # fmt: skip
def test_it_refuses_a_code_that_is_not_a_county_and_writes_nothing(code, reason):
    from homeward.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        _setup(code)
    assert exc.value.code == reason
    assert _state() == ([], [], [])


def test_it_replaces_a_city_set_up_before_only_while_the_registry_is_empty(enterprise_a):
    from homeward.apps.registry.models import Enterprise, HomeCity, Town
    from homeward.core.errors import Conflict

    # enterprise_a stands in the demo city set up by the personas' fixtures
    with pytest.raises(Conflict) as exc:
        _setup("330782")
    assert exc.value.code == "home_city_in_use"
    assert HomeCity.objects.get().code == "330282" and Town.objects.count() == 20
    Enterprise.objects.all().delete()
    report = _setup("330782")
    assert report.changes[0].startswith("替换了 慈溪市 (330282)")
    assert HomeCity.objects.get().code == "330782" and Town.objects.count() == 14


def test_only_the_task_force_sets_up_the_city_and_a_refusal_is_audited(enterprise_user, taskforce):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.registry.services.city import city_setup
    from homeward.core.errors import PermissionDenied

    before = _state()
    with pytest.raises(PermissionDenied):
        city_setup(actor=enterprise_user, code="330782")
    assert _state() == before
    assert AuditEvent.objects.filter(action="denied.city.setup", actor=enterprise_user).count() == 1
    assert city_setup(actor=taskforce, code="330282").city.code == "330282"


def test_the_command_prints_what_it_did_then_that_nothing_changed(capsys):
    assert main(["setup", "--city", "330782"]) == 0
    out = capsys.readouterr().out
    assert "浙江省金华市义乌市 (330782) set up:" in out
    assert "新建镇街 14 个" in out and "义乌 YWH 4.1 km, 金华 JBH 47.8 km" in out
    assert "organiser: 义乌市企业复工复产返岗专班" in out
    assert main(["setup", "--city", "330782"]) == 0
    assert "is already set up; nothing changed." in capsys.readouterr().out


@pytest.mark.parametrize("code", ["999999", "330700"])
def test_the_command_refuses_a_bad_code_in_chinese_and_english_with_exit_status_2(code, capsys):
    assert main(["setup", "--city", code]) == 2
    err = capsys.readouterr().err
    assert "代码" in err and "code" in err
    assert _state() == ([], [], [])


def test_the_task_force_lands_on_the_first_run_page_until_the_city_is_set_up(client, taskforce):
    client.force_login(taskforce)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("city-setup")
    page = client.get(reverse("city-setup")).content.decode()
    assert 'data-testid="city-setup-form"' in page and "homeward setup --city" in page
    response = client.post(reverse("city-setup"), {"code": "330782", "display_name": "", "organiser": ""})
    assert response.status_code == 302
    page = client.get(reverse("city-setup")).content.decode()
    assert "已设置本市" in page and "浙江省金华市义乌市" in page and "义乌站 <code>YWH</code>" in page
    assert page.count("近似（区县位置）") == 14
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("city-setup"), {"code": "330782", "display_name": "", "organiser": ""})
    assert "没有变化" in client.get(response["Location"]).content.decode()


def test_the_first_run_page_refuses_a_bad_code_with_its_reason(client, taskforce):
    client.force_login(taskforce)
    response = client.post(reverse("city-setup"), {"code": "330700"})
    assert response.status_code == 400 and "not_a_county" in response.content.decode()
    assert _state() == ([], [], [])


def test_other_roles_see_a_notice_not_the_setup(client, enterprise_user):
    from homeward.apps.registry.models import HomeCity

    HomeCity.objects.all().delete()  # the personas' fixtures set the demo city up
    client.force_login(enterprise_user)
    assert 'data-testid="no-home-city"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("city-setup")).status_code == 403
    assert client.post(reverse("city-setup"), {"code": "330782"}).status_code == 403
    assert not HomeCity.objects.exists()
