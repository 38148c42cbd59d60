"""The enterprise journey in Debian's Chromium: upload a list with bad rows, see them named, fix,
submit; the town officer accepts; transport and health work their tasks; each department signs; the
permit PDF opens and the token in its QR code verifies on the public verification page."""

from __future__ import annotations

import io

import pytest

from tests.applications.conftest import csv_bytes, good_rows
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def _csv(rows):
    return {"name": "名单.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}


def test_it_runs_the_whole_journey(
    page, login, enterprise_user, town_officer, transport_officer, health_officer, hr_officer
):
    good = good_rows(3)
    bad_checksum = good_rows(1, 20)[0]
    bad_checksum[0] = bad_checksum[0][:-1] + ("1" if bad_checksum[0][-1] != "1" else "2")
    yellow = [*good_rows(1, 21)[0][:4], "黄码"]

    # 1. the enterprise uploads a list with two bad rows and sees them named by row
    _as(page, login, "ent_a")
    page.goto("/applications/")
    page.get_by_test_id("new-application").click()
    page.wait_for_url("**/applications/*/")
    page.get_by_test_id("upload-file").set_input_files(_csv([*good, bad_checksum, yellow]))
    page.get_by_test_id("upload-button").click()
    rejected = page.get_by_test_id("rejected-rows")
    rejected.wait_for()
    text = rejected.inner_text()
    assert "checksum" in text and "health_code" in text
    assert [c.strip() for c in rejected.locator("tbody tr td:first-child").all_inner_texts()] == ["5", "6"]
    assert page.get_by_test_id("worker-table").locator("tbody tr").count() == 3

    # 2. fixes the rows and re-uploads: the list is replaced, nothing rejected; submits once
    fixed = [*good, good_rows(1, 30)[0], [*good_rows(1, 21)[0][:4], "绿码"]]
    page.get_by_test_id("upload-file").set_input_files(_csv(fixed))
    page.get_by_test_id("upload-button").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=upload-report]').innerText.includes('拒绝 0')"
    )
    assert page.get_by_test_id("worker-table").locator("tbody tr").count() == 5
    page.get_by_test_id("submit").click()
    page.wait_for_selector("[data-testid=state][data-state=submitted]")
    detail_url = page.url

    # 3. the town officer accepts (asked first, answers yes): the clock starts
    asked: list[str] = []

    def answer_yes(dialog) -> None:  # every question of the journey (accept, sign) is answered yes
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer_yes)
    _as(page, login, "town_a")
    page.goto(detail_url)
    page.get_by_test_id("accept").click()
    page.wait_for_selector("[data-testid=state][data-state=accepted]")
    assert asked == ["确定受理该申请？受理后各部门开始办理。"]
    assert page.get_by_test_id("clock").first.get_attribute("data-level") == "ok"
    assert page.get_by_test_id("case-tasks").locator("tbody tr").count() == 4

    # 4. transport and health complete their tasks from their queues
    _as(page, login, "transport")
    page.goto("/tasks/")
    form = page.locator("form[data-task=vehicle_route_pass]")
    form.locator("[name=plate]").fill("贵F·D1234")
    form.locator("[name=carrier]").fill("毕节市汽车运输有限公司")
    form.locator("[name=route]").fill("毕节\nG56 杭瑞高速\nG60 沪昆高速\n慈溪")
    form.locator("[name=provinces]").fill("贵州、湖南、江西、浙江")
    form.locator("[name=entry_station]").fill("毕节东收费站")
    form.locator("[name=exit_station]").fill("慈溪收费站")
    form.get_by_role("button", name="办结").click()
    page.wait_for_selector("[data-testid=permits-to-sign] tr[data-permit]")

    _as(page, login, "health")
    page.goto("/tasks/")
    form = page.locator("form[data-task=escort_kit_checks]")
    form.locator("[name=medical_escort]").fill("王医生 (慈溪市人民医院)")
    form.locator("[name=kit]").fill("医用口罩*300\n额温枪*2")
    form.get_by_role("button", name="办结").click()
    page.wait_for_selector("[data-testid=permits-to-sign] tr[data-permit^=PP]")

    # 5. each department signs every permit it must sign
    for username in ("hr", "transport", "health"):
        _as(page, login, username)
        page.goto("/tasks/")
        rows = page.locator("[data-testid=permits-to-sign] tr[data-permit]")
        while rows.count():
            before = rows.count()
            rows.first.get_by_role("button", name="签发").click()
            page.wait_for_function(
                f"document.querySelectorAll('[data-testid=permits-to-sign] tr[data-permit]').length < {before}"
            )

    # 6. the enterprise sees the case and opens the permit PDF; its QR code verifies
    _as(page, login, "ent_a")
    page.goto(detail_url)
    assert page.get_by_test_id("case-tasks").locator("tr[data-state=done]").count() == 2
    links = page.get_by_test_id("permit-pdf")
    assert links.count() == 2
    response = page.request.get(links.first.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    content = response.body()
    assert content.startswith(b"%PDF")

    import pypdf
    import pypdfium2
    import zxingcpp

    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) == 1
    image = pypdfium2.PdfDocument(content)[0].render(scale=4).to_pil()
    codes = zxingcpp.read_barcodes(image)
    # what a phone camera opens: the verification link (here on the test server's address)
    from urllib.parse import urlsplit

    from django.conf import settings

    assert codes and codes[0].text.startswith(f"{settings.HOMEWARD_PUBLIC_URL}/permits/verify/?t=HW1.")
    link = urlsplit(codes[0].text)
    page.context.clear_cookies()  # the verification page needs no login
    page.goto(f"{link.path}?{link.query}")
    verdict = page.get_by_test_id("verification")
    assert verdict.get_attribute("data-valid") == "true", verdict.inner_text()
    assert "北京时间" in verdict.inner_text() and "交通运输局" in verdict.inner_text()
    page.goto(f"{link.path}?{link.query[:-3]}AAA")
    assert page.get_by_test_id("verification").get_attribute("data-valid") == "false"
