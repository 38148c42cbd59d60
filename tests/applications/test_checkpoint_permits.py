"""Permits a checkpoint can use: signed only when nothing on the pass is a placeholder, a one-page
PDF whose QR code is the verification link, a verification page in plain words and Beijing time in
Chinese and English, and the departments that must see a pass can open it."""

from __future__ import annotations

import io
import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.test import Client

from tests.applications.conftest import TRANSPORT_DATA, task_of

pytestmark = pytest.mark.django_db

# What the page must never show: wire or dataclass field names, Python lists, ISO/UTC times.
RAW = re.compile(
    r"permit_id|valid_from|valid_to|entry_station|exit_station|trip_id|department_name|signers"
    r"|\[\s*'|'\s*\]|\d{4}-\d\d-\d\dT\d\d|\+00:00|UTC"
)


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _road_pass(permits):
    return next(p for p in permits if p.kind == "road_pass")


@pytest.fixture
def placeholder_pass(accepted, transport_officer):
    """The road pass drafted from a transport task that left the plate and the entry toll open."""
    from homeward.apps.applications import services

    data = {**TRANSPORT_DATA, "plate": "430500-005", "entry_station": "待定"}
    services.department_task_complete(
        actor=transport_officer, task_id=task_of(accepted, "vehicle_route_pass").pk, data=data
    )
    return accepted.permits.get(kind="road_pass")


def test_a_pass_with_a_placeholder_plate_or_toll_cannot_be_signed(
    placeholder_pass, hr_officer, transport_officer
):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import PermitSignature
    from homeward.core.errors import DomainError

    for officer in (hr_officer, transport_officer):
        with pytest.raises(DomainError) as refused:
            services.permit_sign(actor=officer, permit_id=placeholder_pass.pk)
        assert refused.value.code == "permit_placeholders"
        assert "车牌号" in refused.value.message and "入口收费站" in refused.value.message
    assert not PermitSignature.objects.filter(permit=placeholder_pass).exists()

    # a fill that leaves one open is refused too; a full one makes the pass signable
    with pytest.raises(DomainError) as still:
        services.permit_fill(
            actor=transport_officer, permit_id=placeholder_pass.pk, values={"plate": "贵F·D1234"}
        )
    assert still.value.code == "permit_placeholders"
    services.permit_fill(
        actor=transport_officer,
        permit_id=placeholder_pass.pk,
        values={"plate": "贵F·D1234", "entry_station": "毕节东收费站"},
    )
    services.permit_sign(actor=hr_officer, permit_id=placeholder_pass.pk)
    issued = services.permit_sign(actor=transport_officer, permit_id=placeholder_pass.pk)
    assert issued.state == "issued"
    check = services.permit_verify(issued.token)
    assert check.valid and check.permit.plate == "贵F·D1234" and check.permit.entry_station == "毕节东收费站"
    with pytest.raises(DomainError) as signed:  # signatures are over the fields: no rewriting now
        services.permit_fill(actor=transport_officer, permit_id=issued.pk, values={"plate": "贵F·D9999"})
    assert signed.value.code == "bad_state"


def test_the_case_page_says_what_is_missing_and_transport_fills_it_in(
    placeholder_pass, transport_officer, hr_officer
):
    detail = f"/applications/{placeholder_pass.application_id}/"
    hr_page = _client(hr_officer).get(detail).content.decode()
    assert 'data-testid="permit-unready"' in hr_page and 'data-testid="permit-fill"' not in hr_page
    assert f"/permits/{placeholder_pass.pk}/sign/" not in hr_page  # no sign button that can only fail
    client = _client(transport_officer)
    assert 'data-testid="permit-fill"' in client.get(detail).content.decode()
    back = client.post(
        f"/permits/{placeholder_pass.pk}/fill/",
        {"plate": "贵F·D1234", "entry_station": "毕节东收费站", "carrier": "", "next": detail},
    )
    assert back.status_code == 302 and back["Location"] == detail
    hr_page = _client(hr_officer).get(detail).content.decode()
    assert (
        'data-testid="permit-unready"' not in hr_page and f"/permits/{placeholder_pass.pk}/sign/" in hr_page
    )


def test_the_pdf_is_one_page_whose_qr_code_opens_the_verification_page(issued, enterprise_user, settings):
    settings.HOMEWARD_PUBLIC_URL = "https://homeward.example.gov.cn"
    road_pass = _road_pass(issued)
    response = _client(enterprise_user).get(f"/permits/{road_pass.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 1
    image = pypdfium2.PdfDocument(response.content)[0].render(scale=150 / 72).to_pil()  # a 150 dpi scan
    codes = [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert codes == [f"https://homeward.example.gov.cn/permits/verify/?t={road_pass.token}"]
    link = urlsplit(codes[0])
    page = Client().get(f"{link.path}?{link.query}")  # a phone at a checkpoint: nobody signed in
    assert page.status_code == 200 and 'data-valid="true"' in page.content.decode()


def _verification_text(response) -> str:
    html = response.content.decode()
    section = html[html.index('data-testid="verification"') : html.index("</section>")]
    return re.sub(r"<[^>]+>", " ", section)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh-hans",
            ("有效", "车牌号", "入口收费站", "北京时间", "交通运输局", "已签署", "贵州、湖南、江西、浙江"),
        ),
        (
            "en",
            ("Valid", "Plate", "Entry toll", "Beijing time", "Transport Bureau", "Signed", "毕节东收费站"),
        ),
    ],
)
def test_the_verification_page_speaks_plainly_in_beijing_time(issued, language, words):
    road_pass = _road_pass(issued)
    response = Client().get("/permits/verify/", {"t": road_pass.token}, HTTP_ACCEPT_LANGUAGE=language)
    text = _verification_text(response)
    for word in words:
        assert word in text, (language, word)
    assert RAW.search(text) is None, (language, RAW.search(text))
    valid_from = datetime.fromisoformat(road_pass.payload["valid_from"])
    assert f"{valid_from.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}" in text
    if language == "en":  # labels and times in English; the permit's own fields stay as signed
        for chinese in ("车牌号", "北京时间", "交通运输局", "有效时间", "会签"):
            assert chinese not in text, chinese


def test_a_pasted_link_or_a_damaged_token_says_what_is_wrong(issued):
    token = _road_pass(issued).token
    pasted = Client().get("/permits/verify/", {"t": f"https://elsewhere.example/permits/verify/?t={token}"})
    assert 'data-valid="true"' in pasted.content.decode()
    damaged = _verification_text(Client().get("/permits/verify/", {"t": token[:-3] + "AAA"}))
    assert "无效" in damaged or "无法识别" in damaged
    assert RAW.search(damaged) is None


def test_the_departments_open_the_road_pass_from_the_case_page(issued, health_officer, hr_officer):
    """The health officer checks the bus too: the case page links the road pass, and the link opens."""
    road_pass = _road_pass(issued)
    for officer in (health_officer, hr_officer):
        client = _client(officer)
        page = client.get(f"/applications/{road_pass.application_id}/").content.decode()
        assert f"/permits/{road_pass.pk}/pdf/" in page
        assert client.get(f"/permits/{road_pass.pk}/pdf/").status_code == 200
