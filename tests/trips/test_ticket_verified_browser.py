"""A real e-ticket verified end to end, in Debian's Chromium: the QR code on the worker's trip page
(its pixels, read by the verification page's own scanner from a picked image) opens the public
verification page, which says it is valid in Chinese with its rows in plain words and Beijing time;
after the worker declines on the trip page the same token verifies as revoked; and
``homeward permit verify TOKEN --keys FILE``, run as its own process with no database, says the
same as the page before and after (from a keys file exported at each moment)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.self_service import worker_link_issue
from homeward.apps.trips.words import BEIJING
from homeward.cli import main as homeward
from tests.conftest import system_actor
from tests.trips.test_trip_browser import sign_in_by_link
from tests.trips.test_worker_page import _later_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _verify_offline(token: str, keys, now: datetime) -> tuple[int, dict]:
    """``homeward permit verify TOKEN --keys FILE --now ISO`` in a process of its own, with no
    database to reach (as at a checkpoint without network)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env["DATABASE_URL"] = "sqlite:////nonexistent/homeward.sqlite3"  # must never be touched
    code = "import sys; from homeward.cli import main; sys.exit(main())"
    argv = ["permit", "verify", token, "--keys", str(keys), "--now", now.isoformat()]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def _export_keys(path) -> None:
    assert homeward(["permit", "export-keys", str(path)]) == 0


def test_a_tickets_qr_verifies_valid_in_words_then_revoked_once_declined(
    page, live_server, settings, tmp_path, planned
) -> None:
    if not (settings.VENDOR_STATIC_DIR / "jsqr" / "jsQR.js").is_file():
        pytest.fail(f"jsQR is missing from {settings.VENDOR_STATIC_DIR} (make install copies it there)")
    ticket = _later_ticket()
    sign_in_by_link(page, worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id).url)
    photo = tmp_path / "ticket-qr.png"
    page.locator(".ticket-qr").screenshot(path=str(photo))  # what a checkpoint's camera would see
    trip_page = page.url

    # The verification page reads the picture and opens the token it holds (a link to the public
    # address, HOMEWARD_PUBLIC_URL, which is not this test server: the token goes in its form).
    page.goto("/permits/verify/")
    page.get_by_test_id("scanner").locator("input[type=file]").set_input_files(photo)
    page.wait_for_url("**/permits/verify/?t=*")
    token = parse_qs(urlsplit(page.url).query)["t"][0]
    assert token == ticket.token  # the QR on the trip page is this worker's ticket
    verdict = page.get_by_test_id("verification")
    assert (verdict.get_attribute("data-valid"), verdict.get_attribute("data-reason")) == ("true", "ok")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    rows = dict(
        zip(
            verdict.locator("table").first.locator("th").all_inner_texts(),
            verdict.locator("table").first.locator("td").all_inner_texts(),
            strict=True,
        )
    )
    assert "有效：全部会签核验通过" in verdict.locator("h2").inner_text()
    assert rows["类型"] == "电子车票" and rows["编号"] == ticket.ticket_id
    worker = ticket.worker
    assert rows["身份证后四位"] == worker.id_number[-4:]
    assert rows["乘客"].endswith("＊") and rows["乘客"] != worker.name  # masked, as the token carries it
    leg = ticket.legs[0]
    at = datetime.fromisoformat(leg["pickup_at"]).astimezone(BEIJING)
    kind = {"train": "专列", "bus": "包车", "shuttle": "接驳车"}[leg["kind"]]
    assert rows["行程"] == (
        f"第1程 {kind} {leg['vehicle']}：{at:%Y-%m-%d %H:%M} 北京时间 在 {leg['pickup']} 上车，"
        f"座位 {leg['seat']}，到 {leg['destination']}"
    )
    assert rows["有效时间"].count("北京时间") == 2
    words = " ".join(rows.values())
    assert not re.search(r"\d{4}-\d\d-\d\dT|[+-]\d\d:\d\d\b", words)  # no ISO times
    assert not re.search(r"\b(train|bus|shuttle)\b", words)  # no codes, the kinds in words
    text = verdict.inner_text()
    assert worker.id_number not in text and worker.phone not in text

    keys_then = tmp_path / "keys-before.json"
    _export_keys(keys_then)
    now = timezone.now()
    code, before = _verify_offline(token, keys_then, now)
    assert (code, before["valid"], before["reason"]) == (0, True, "ok")
    assert before["permit"]["permit_id"] == ticket.ticket_id

    # The worker declines on the trip page: the same token is revoked, on the page and offline.
    page.goto(trip_page)
    page.once("dialog", lambda dialog: dialog.accept())  # it asks first: the seat goes to someone else
    page.get_by_test_id("decline").click()
    page.wait_for_selector("[data-testid=trip-declined]")
    assert Ticket.objects.get(pk=ticket.pk).state == "revoked"
    page.goto(f"/permits/verify/?t={token}")
    verdict = page.get_by_test_id("verification")
    assert (verdict.get_attribute("data-valid"), verdict.get_attribute("data-reason")) == ("false", "revoked")
    assert "无效：该许可证已被撤销" in verdict.locator("h2").inner_text()
    keys_now = tmp_path / "keys-after.json"
    _export_keys(keys_now)
    code, after = _verify_offline(token, keys_now, timezone.now())
    assert (code, after["valid"], after["reason"]) == (1, False, "revoked")
    # A keys file exported before the decline knows nothing of it (why checkpoints refresh theirs).
    assert _verify_offline(token, keys_then, timezone.now())[1]["reason"] == "ok"
