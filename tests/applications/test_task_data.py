"""Task data: one schema per task kind. Good data from a form (flat text) and from the API (JSON)
normalise to the same stored shape; bad data is refused naming the field (and the vehicle or kit
row) in both languages; nothing else escapes — no input makes the check crash."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeward.apps.applications.models import TaskKind
from homeward.apps.applications.services.task_data import SCHEMAS, clean_task_data
from homeward.core.errors import DomainError

NOW = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)


def _task(kind, **data):
    return SimpleNamespace(kind=kind, data={"passengers": 12, "destination": "慈溪 某厂", **data})


def _refused(kind, data, **stored):
    with pytest.raises(DomainError) as exc:
        clean_task_data(_task(kind, **stored), data, NOW)
    assert exc.value.code == "invalid_task_data"
    return exc.value.message


ROUTE_FORM = {
    "plate": "贵F·D1234",
    "carrier": "毕节运输",
    "origin": "毕节",
    "route": "毕节\nG56 杭瑞高速\n慈溪",
    "provinces": "贵州、湖南、浙江",
    "entry_station": "毕节东收费站",
    "exit_station": "慈溪收费站",
    "departure": "",
    "window_hours": "",
}


def test_a_form_and_the_api_store_the_same_route_pass():
    form = clean_task_data(_task(TaskKind.VEHICLE_ROUTE_PASS), ROUTE_FORM, NOW)
    api = clean_task_data(
        _task(TaskKind.VEHICLE_ROUTE_PASS),
        {
            **ROUTE_FORM,
            "vehicles": [{"plate": "贵F·D1234", "carrier": "毕节运输"}],
            "route": ["毕节", "G56 杭瑞高速", "慈溪"],
            "provinces": ["贵州", "湖南", "浙江"],
        },
        NOW,
    )
    assert form == api
    assert form["vehicles"] == [{"plate": "贵F·D1234", "carrier": "毕节运输", "passengers": 12}]
    assert form["provinces"] == ["贵州", "湖南", "浙江"] and form["window_hours"] == 48
    assert form["departure"] == NOW.isoformat() and form["destination"] == "慈溪 某厂"


@pytest.mark.parametrize(
    ("kind", "data", "words"),
    [
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "plate": ""}, ("车牌号", "plate", "必填")),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "route": "\n \n"}, ("行驶路线", "route")),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "window_hours": "999"}, ("有效时长", "240")),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "window_hours": "两天"}, ("有效时长", "整数")),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "departure": "明天"}, ("出发时间", "date-time")),
        # the calendar's edge has no UTC instant (it overflowed): out of the typed-date range
        (
            TaskKind.VEHICLE_ROUTE_PASS,
            {**ROUTE_FORM, "departure": "9999-12-31T23:00:00-08:00"},
            ("出发时间", "2099"),
        ),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "departure": "0001-01-01T00:00"}, ("出发时间", "2000")),
        (
            TaskKind.VEHICLE_ROUTE_PASS,
            {
                **ROUTE_FORM,
                "vehicles": [
                    {"plate": "贵F·D1234", "carrier": "甲", "passengers": 6},
                    {"plate": "贵F·D1235", "passengers": 6},
                ],
            },
            ("第 2 辆车", "vehicle 2", "承运单位"),
        ),
        (
            TaskKind.VEHICLE_ROUTE_PASS,
            {**ROUTE_FORM, "vehicles": [{"plate": "贵F·D1234", "carrier": "甲", "passengers": 0}]},
            ("第 1 辆车", "乘客人数", "at least 1"),
        ),
        (TaskKind.VEHICLE_ROUTE_PASS, {**ROUTE_FORM, "carrier": "甲" * 201}, ("承运单位", "too long")),
        (
            TaskKind.ESCORT_KIT_CHECKS,
            {"medical_escort": "王医生", "kit": "口罩*100\n*5", "health_checks": "测温"},
            ("第 2 项", "item 2", "名称"),
        ),
        (
            TaskKind.ESCORT_KIT_CHECKS,
            {"medical_escort": "王医生", "kit": "口罩*很多", "health_checks": "测温"},
            ("防疫物资", "数量", "整数"),
        ),
        (TaskKind.ESCORT_KIT_CHECKS, {"kit": "口罩*1", "health_checks": "测温"}, ("跟车医护", "必填")),
        (TaskKind.LIST_CHECK_SUBSIDY, {"government_share": "60", "enterprise_share": "60"}, ("100",)),
        (TaskKind.LIST_CHECK_SUBSIDY, {"government_share": "-10", "worker_share": "110"}, ("政府分担比例",)),
        (TaskKind.LATE_ARRIVAL, {"decision": "ignore"}, ("处理决定", "accept")),
        (TaskKind.LATE_ARRIVAL, {"decision": "act"}, ("说明措施",)),
        (TaskKind.LANDING_HANDOVER, {"reception_point": "余姚北站"}, ("联系人", "contact")),
    ],
)
def test_bad_data_is_refused_naming_the_field(kind, data, words):
    message = _refused(kind, data)
    for word in words:
        assert word in message, message


def test_good_data_of_every_kind_is_stored_with_what_the_task_held():
    kit = clean_task_data(
        _task(TaskKind.ESCORT_KIT_CHECKS),
        {"medical_escort": "王医生、李护士", "kit": "口罩×100\n消毒液*5\n体温计", "health_checks": "测温"},
        NOW,
    )
    assert kit["medical_escort"] == ["王医生", "李护士"] and kit["passengers"] == 12
    assert kit["kit"] == [
        {"name": "口罩", "quantity": 100},
        {"name": "消毒液", "quantity": 5},
        {"name": "体温计", "quantity": 0},
    ]
    shares = clean_task_data(
        _task(TaskKind.LIST_CHECK_SUBSIDY), {"government_share": "70", "worker_share": 30}, NOW
    )
    assert (
        shares["subsidy_shares"] == {"government": 70, "enterprise": 0, "worker": 30}
        and shares["list_checked"]
    )
    late = clean_task_data(_task(TaskKind.LATE_ARRIVAL), {"decision": "act", "note": "已申请专列"}, NOW)
    assert (late["decision"], late["note"]) == ("act", "已申请专列")
    handover = clean_task_data(
        _task(TaskKind.LANDING_HANDOVER), {"reception_point": "余姚北站", "contact": "张"}, NOW
    )
    assert handover["reception_point"] == "余姚北站" and handover["note"] == ""


def test_every_task_kind_has_its_schema():
    assert set(SCHEMAS) == {str(k) for k in TaskKind}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(
    ["plate", "carrier", "vehicles", "route", "provinces", "entry_station", "exit_station", "departure",
     "window_hours", "medical_escort", "kit", "health_checks", "government_share", "enterprise_share",
     "worker_share", "decision", "note", "reception_point", "contact", "passengers"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(TaskKind)), data=st.dictionaries(_fields, _json, max_size=8))
def test_no_input_escapes_the_schema(kind, data):
    """Whatever a client posts, the check answers stored data or a DomainError naming a field."""
    try:
        clean = clean_task_data(_task(kind), data, NOW)
    except DomainError as exc:
        assert exc.code == "invalid_task_data" and exc.message
    else:
        assert isinstance(clean, dict) and clean["passengers"] == 12
