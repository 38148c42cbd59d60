"""Issue #12's browser checks on the city demo (12,000 enterprises, 670,000 workers; one build shared
by this package, see conftest.py), in Debian's Chromium, signed in through the login page:

- a department finds a new application's task by searching its queue and completes it;
- for every town, the workbench and the heat map show the same away / returned figures;
- a permit's QR code, scanned from its PDF, opens the verification page in Chinese, in Beijing time;
- after the campaign day is planned (``city_planned``), transport's task for a planned application
  shows the plan's buses and signs their road passes (no second pass).
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.applications.conftest import complete_health_task_by_search
from tests.citydemo.conftest import api_json

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BEIJING = ZoneInfo("Asia/Shanghai")


def _int(text: str) -> int:
    digits = re.sub(r"[,\s]", "", text)
    assert digits.isdigit(), f"not a count: {text!r}"
    return int(digits)


def _csrf(page) -> str:  # type: ignore[no-untyped-def]
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


# ------------------------------------------------------------------- (a) a department's task, by search


def test_a_department_finds_a_new_applications_task_by_search_and_completes_it(
    city_page, city_login, city_demo
):
    page = city_page
    enterprise, taskforce, health = (
        city_demo.username("enterprise"),
        city_demo.username("taskforce"),
        city_demo.username("dept_health"),
    )

    # the enterprise starts an application on its page and picks away workers of its roster
    city_login(enterprise)
    page.goto("/applications/")
    page.locator("input[name=notes]").fill("浏览器测试：城市演示")
    page.get_by_test_id("new-application").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    app_id = int(re.search(r"/applications/(\d+)/$", page.url).group(1))  # type: ignore[union-attr]
    accepted = 0
    for offset in range(0, 400, 40):  # a page of its away workers at a time, until enough are free
        away = api_json(page, f"/api/v1/workers?status=away&limit=40&offset={offset}")
        worker_ids = [w["id"] for w in away["items"]]  # type: ignore[index]
        assert worker_ids, away
        picked = page.request.post(
            f"/api/v1/applications/{app_id}/workers/from-roster",
            data={"worker_ids": worker_ids},
            headers={"X-CSRFToken": _csrf(page)},
        )
        assert picked.ok, picked.text()
        # the others are refused: in another application already, or from a high-risk county
        accepted += picked.json()["accepted"]
        if accepted >= 10:
            break
    assert accepted >= 10
    page.reload()
    assert page.get_by_test_id("worker-table").locator("tbody tr").count() == accepted
    page.get_by_test_id("submit").click()
    page.wait_for_selector("[data-testid=state][data-state=submitted]")
    detail = f"/applications/{app_id}/"

    # the task force accepts it on its page (asked first; the fixture answers yes)
    city_login(taskforce)
    page.goto(detail)
    page.get_by_test_id("accept").click()
    page.wait_for_selector("[data-testid=state][data-state=accepted]")
    assert page.asked == ["确定受理该申请？受理后各部门开始办理。"]  # type: ignore[attr-defined]

    # the health department searches its queue for the number and completes the task there
    city_login(health)
    page.goto("/tasks/")
    assert _int(page.get_by_test_id("task-total").inner_text()) > 1  # the demo's open cases too
    complete_health_task_by_search(
        page, app_id, escort="王医生 (慈溪市人民医院)", kit="医用口罩*200\n额温枪*2"
    )

    # done: among the department's done tasks, and on the case page
    page.select_option("select[name=state]", "done")  # submits itself (data-autosubmit)
    page.wait_for_url("**state=done*")
    done = page.get_by_test_id("done-tasks").locator("tbody tr", has_text=f"#{app_id} ")
    assert done.count() == 1 and health in done.inner_text(), page.get_by_test_id("done-tasks").inner_text()
    page.goto(detail)
    done_on_case = page.get_by_test_id("case-tasks").locator("tbody tr[data-state=done]")
    assert done_on_case.count() == 1, page.get_by_test_id("case-tasks").inner_text()
    assert "医护跟车、防疫物资、健康检测" in done_on_case.inner_text()
    assert page.get_by_test_id("state").get_attribute("data-state") == "accepted"


# --------------------------------------------------------- (b) the workbench and the heat map, per town

COLUMNS = ("镇街", "企业", "重点企业", "参保", "已返", "未返", "返岗率")  # the heat map's town table


def _workbench(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The workbench's headline, as shown: returned (已返岗) and away (未返岗)."""
    if urlsplit(page.url).path != "/":  # signing in lands there
        page.goto("/")
    page.get_by_test_id("headline-fused").wait_for()  # the heat map's figures, not the roster's
    return {
        k: _int(page.locator(f"[data-testid=headline-fused] [data-count={k}]").inner_text())
        for k in ("back", "away")
    }


def _heatmap(page) -> tuple[dict[str, int], dict[str, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """The heat map page's totals and its town table (town name -> returned and away), as shown."""
    page.goto("/heatmap/")
    table = page.get_by_test_id("town-shortfall")
    table.wait_for()
    head = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert tuple(head) == COLUMNS, head
    towns: dict[str, dict[str, int]] = {}
    for cells in table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
    ):
        row = dict(zip(COLUMNS, cells, strict=True))
        assert row["镇街"] not in towns, f"{row['镇街']} twice in the town table"
        towns[row["镇街"]] = {"back": _int(row["已返"]), "away": _int(row["未返"])}
    totals = {
        "back": _int(page.get_by_test_id("total-returned").inner_text()),
        "away": _int(page.get_by_test_id("total-away").inner_text()),
    }
    return totals, towns


def test_the_workbench_and_the_heat_map_agree_for_every_town(
    city_page, city_login, city_demo, city_town_officers
):
    page = city_page
    # the task force: exact figures; the city's headline is the sum of the heat map's 20 towns
    city_login(city_demo.username("taskforce"))
    city = _workbench(page)
    totals, towns = _heatmap(page)
    assert set(towns) == set(city_town_officers), sorted(towns)
    assert len(towns) == 20
    summed = {k: sum(t[k] for t in towns.values()) for k in ("back", "away")}
    assert city == totals == summed, (city, totals, summed)
    assert city["back"] > 100_000 and city["away"] > 100_000  # the city demo, not the small one

    # each town's officer: its workbench, its heat map's totals and its town's row show one figure
    # (protected counts: sums of cells randomly rounded to multiples of 5, the same on every page)
    disagree: dict[str, object] = {}
    for town, officer in city_town_officers.items():
        city_login(officer)
        mine = _workbench(page)
        totals, rows = _heatmap(page)
        if not (list(rows) == [town] and mine == totals == rows[town]):
            disagree[town] = {"workbench": mine, "heat map totals": totals, "town table": rows}
            continue
        assert mine["back"] % 5 == 0 and mine["away"] % 5 == 0, (town, mine)
        # the task force's row of the same town, give or take the protection's noise (the sum of
        # thousands of rounded cells drifts by a few hundred, both ways)
        exact = towns[town]
        assert all(abs(mine[k] - exact[k]) <= 0.1 * exact[k] for k in mine), (town, mine, exact)
    assert not disagree, disagree


# ------------------------------------------------- (c) a scanned permit opens its page, in Beijing time


def _beijing(iso: str) -> str:
    """An instant as the verification page writes it: ``2026-12-04 00:29 北京时间``."""
    return f"{datetime.fromisoformat(iso).astimezone(BEIJING):%Y-%m-%d %H:%M} 北京时间"


def _scan(pdf: bytes) -> list[str]:
    """The QR codes on the PDF's first page, as a phone camera reads them."""
    import pypdfium2
    import zxingcpp

    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    return [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]


def test_a_scanned_permit_opens_the_verify_page_in_chinese_with_beijing_time(
    city_page, city_login, city_demo, browser
):
    page = city_page
    city_login(city_demo.username("taskforce"))
    issued = api_json(page, "/api/v1/permits?state=issued&limit=100")["items"]  # type: ignore[index]
    permit = next(p for p in issued if p["kind"] == "prevention" and p["application_id"])
    assert len(permit["signatures"]) == len(permit["required_signers"]) == 3, permit

    # the permit's PDF, from its application's page
    page.goto(f"/applications/{permit['application_id']}/")
    link = page.locator(f"[data-testid=permit-table] tr[data-permit='{permit['permit_id']}']").get_by_test_id(
        "permit-pdf"
    )
    response = page.request.get(link.get_attribute("href") or "")
    assert response.ok and response.headers["content-type"] == "application/pdf", response.status
    codes = _scan(response.body())
    assert len(codes) == 1, codes
    scanned = urlsplit(codes[0])
    assert f"{scanned.scheme}://{scanned.netloc}" == city_demo.url, codes[0]  # HOMEWARD_PUBLIC_URL
    assert scanned.path == "/permits/verify/" and scanned.query.startswith("t=HW1."), codes[0]

    # a checkpoint's phone: no session, a Chinese browser, somewhere else's clock
    phone = browser.new_context(locale="zh-CN", timezone_id="Europe/London", bypass_csp=True)
    try:
        checkpoint = phone.new_page()
        assert checkpoint.goto(codes[0]).ok  # type: ignore[union-attr]
        assert checkpoint.evaluate("document.documentElement.lang") == "zh-hans"
        assert checkpoint.locator("h1").inner_text() == "许可证验证"
        verdict = checkpoint.get_by_test_id("verification")
        text = verdict.inner_text()
        assert verdict.get_attribute("data-valid") == "true", text
        assert "有效：全部会签核验通过" in text and permit["permit_id"] in text
        rows = dict(
            r.split("\t", 1) for r in verdict.locator("tr").all_inner_texts() if "\t" in r
        )  # label -> value, the permit's rows and then the signatures'
        payload = permit["payload"]
        assert rows["有效时间"] == f"{_beijing(payload['valid_from'])} — {_beijing(payload['valid_to'])}", (
            rows
        )
        names = {"hr": "人社局", "transport": "交通运输局", "health": "卫生健康局"}
        for s in permit["signatures"]:
            assert rows[names[s["department"]]].startswith(f"已签署 {_beijing(s['signed_at'])}"), rows
    finally:
        phone.close()


# ------------------------------------------ (d) a planned bus's transport task, prefilled from the plan


def test_a_planned_buss_transport_task_is_filled_from_the_plan_and_signs_its_pass(
    city_page, city_login, city_demo, city_planned
):
    page = city_page
    app_id, vehicles = city_planned.application, city_planned.vehicles
    transport = city_demo.username("dept_transport")
    city_login(transport)
    page.goto("/tasks/")
    page.get_by_test_id("task-q").fill(str(app_id))
    page.get_by_test_id("task-search-button").click()
    page.wait_for_url(f"**/tasks/?q={app_id}*")
    form = page.locator(f"form[data-task=vehicle_route_pass][data-application='{app_id}']")
    assert form.locator("[name=route]").count() == 0  # nothing to retype: the plan's buses instead
    buses = form.locator("fieldset.plan-bus")
    assert sorted(int(v) for v in buses.evaluate_all("fs => fs.map(f => f.dataset.vehicle)")) == sorted(
        vehicles
    )
    for vehicle in vehicles:
        bus = form.locator(f"fieldset.plan-bus[data-vehicle='{vehicle}']")
        text = bus.inner_text()
        assert "路线" in text and "→" in text and "途经省份" in text and "北京时间" in text, text
        assert bus.locator(f"[name=bus-{vehicle}-plate]").input_value()  # the coach's plate, from the plan
        assert bus.locator(f"[name=bus-{vehicle}-carrier]").input_value()
        for end in ("entry_station", "exit_station"):  # 待定 in the plan: chosen from the route's stations
            box = bus.locator(f"[name=bus-{vehicle}-{end}]")
            assert box.input_value() == ""
            choice = page.locator(f"datalist#{box.get_attribute('list')} option").first.get_attribute("value")
            assert choice and choice.endswith("收费站"), choice
            box.fill(choice)
    with page.expect_navigation():
        form.get_by_role("button", name="确认并签发通行证").click()
    # back on the same search, the task done (an error would answer on the form's own address)
    assert f"/tasks/?q={app_id}" in page.url, (page.url, page.locator("main").inner_text()[:1500])
    assert form.count() == 0, page.locator("main").inner_text()[:1500]
    assert "确认以本部门名义签发这些计划车辆的通行证？" in page.asked  # type: ignore[attr-defined]

    # each bus's own road pass now carries transport's signature; no second pass was drafted
    for vehicle in vehicles:
        page.goto(f"/planning/vehicles/{vehicle}/")
        panel = page.get_by_test_id("road-pass").inner_text()
        assert "人社 — · 交通 ✓" in panel, panel  # HR signs next
    passes = api_json(page, "/api/v1/permits?limit=500")
    ids = [p["permit_id"] for p in passes["items"]]  # type: ignore[index]
    assert not [i for i in ids if i.startswith(f"RP-{app_id}-")], ids
