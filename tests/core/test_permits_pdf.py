"""The A5 permit PDF: embedded CJK font, fields, signers, and a QR code that scans back to the token.

Scanning renders the page with ``pypdfium2`` and decodes the QR code with ``zxing-cpp`` (dev
dependencies, like ``pypdf``; ``fpdf2`` and ``segno`` are runtime ones). Only the no-system-font
rendering check needs a tool outside pyproject, ``pdftoppm`` (Debian's poppler-utils), and skips
without it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from homeward.core.errors import DomainError
from homeward.core.permits import Department, SignedPermit, cosign, encode_token, render_permit_pdf
from homeward.core.permits.pdf import FONT_PATH, MISSING_GLYPH, printable
from homeward.core.permits.samples import (
    TRIP_START,
    demo_signing_keys,
    issue,
    sample_prevention_permit,
    sample_road_pass,
)

KEYS = demo_signing_keys(seed=4)
VERIFY_URL = "https://homeward.example.gov.cn/permits/verify/"


@pytest.fixture(scope="module")
def road_pass_pdf():
    signed = issue(sample_road_pass(), KEYS)
    token = signed.token()
    return token, render_permit_pdf(signed.permit, token, VERIFY_URL)


@pytest.fixture(scope="module")
def prevention_pdf():
    signed = issue(sample_prevention_permit(), KEYS)
    token = signed.token()
    return token, render_permit_pdf(signed.permit, token, VERIFY_URL)


def _scan(data: bytes) -> list[str]:
    """What a 150 dpi scan of the (one) page reads as QR codes."""
    page = pdfium.PdfDocument(data)[0]
    found = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


def _text(data: bytes) -> str:
    # pypdf reads fpdf2's Identity-H CID text with a NUL before each character; poppler and pdfium don't
    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "")


def _fonts(reader):
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            yield ref.get_object()


def test_it_is_one_a5_portrait_page(road_pass_pdf, prevention_pdf):
    for _token, data in (road_pass_pdf, prevention_pdf):
        assert data.startswith(b"%PDF-")
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert round(float(box.width) * 25.4 / 72) == 148 and round(float(box.height) * 25.4 / 72) == 210


def test_every_font_is_embedded(road_pass_pdf):
    reader = pypdf.PdfReader(io.BytesIO(road_pass_pdf[1]))
    fonts = list(_fonts(reader))
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/Type0", font  # no base-14 font that a viewer would substitute
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor
        assert "NotoSansCJK" in str(font["/BaseFont"])
    assert len(road_pass_pdf[1]) < 150_000  # a subset of the glyphs, not the 1.5 MB shipped font


def test_it_shows_the_fields_and_signers_as_text(road_pass_pdf, prevention_pdf):
    text = _text(road_pass_pdf[1])
    for expected in (
        "农民工返岗包车通行证",
        "贵F·D1234",
        "毕节东收费站",
        "慈溪收费站",
        "贵州、湖南、江西、浙江",
        "26 人",
    ):
        assert expected in text
    for dept in (Department.HR, Department.TRANSPORT):
        assert KEYS[dept].kid in text
    text = _text(prevention_pdf[1])
    for expected in ("疫情防控许可证", "医用口罩 ×300", "王医生", "卫生健康局", KEYS[Department.HEALTH].kid):
        assert expected in text


def test_the_qr_code_is_the_verification_link_with_the_token(road_pass_pdf, prevention_pdf):
    for token, data in (road_pass_pdf, prevention_pdf):
        assert _scan(data) == [f"{VERIFY_URL}?t={token}"]
        assert "手机相机扫描二维码" in _text(data)


def test_without_a_verification_page_the_qr_code_is_the_bare_token():
    signed = issue(sample_road_pass(), KEYS)
    token = signed.token()
    assert _scan(render_permit_pdf(signed.permit, token)) == [token]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (apt-get install poppler-utils)")
def test_it_renders_the_same_with_no_system_font_at_all(road_pass_pdf, tmp_path):
    pdf = tmp_path / "permit.pdf"
    pdf.write_bytes(road_pass_pdf[1])
    empty = tmp_path / "fonts.conf"
    empty.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{tmp_path / "none"}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )

    def render(prefix: str, env: dict[str, str]) -> bytes:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / prefix)],
            check=True,
            env=env,
            capture_output=True,
        )
        return Path(tmp_path / f"{prefix}.png").read_bytes()

    import os

    normal = render("normal", dict(os.environ))
    bare = render("bare", {**os.environ, "FONTCONFIG_FILE": str(empty)})
    assert bare == normal  # no glyph came from a system font


def test_it_refuses_a_token_of_another_permit(road_pass_pdf):
    with pytest.raises(DomainError) as exc:
        render_permit_pdf(sample_prevention_permit(), road_pass_pdf[0])
    assert exc.value.code == "token_mismatch"


def test_an_unsigned_permit_prints_as_not_issued():
    permit = sample_road_pass()
    partial = cosign(SignedPermit(permit), KEYS[Department.TRANSPORT], TRIP_START)
    data = render_permit_pdf(permit, encode_token(partial, allow_incomplete=True))
    text = _text(data)
    assert "NOT ISSUED" in text and "待签" in text


def test_characters_outside_the_font_print_as_a_placeholder():
    assert printable("慈溪 Cixi") == "慈溪 Cixi"
    assert printable("\U00020000") == MISSING_GLYPH  # CJK extension B, not in the subset


def test_the_font_ships_with_its_licence():
    assert FONT_PATH.exists() and FONT_PATH.stat().st_size < 5_000_000
    assert "SIL OPEN FONT LICENSE" in (FONT_PATH.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in (FONT_PATH.parent / "NOTICE.md").read_text(encoding="utf-8")


def test_the_largest_permit_still_fits_one_page_with_a_scannable_qr_code():
    """The longest route a body can carry (every field else as the sample) and a third signer: the
    text shrinks to fit, the QR code stays on the one A5 page and scans to the verification link."""
    from dataclasses import replace

    from homeward.core.permits import InvalidPermit
    from homeward.core.permits.model import MAX_BODY_BYTES

    base = replace(sample_road_pass(), signers=(Department.HR, Department.TRANSPORT, Department.TASK_FORCE))
    route: tuple[str, ...] = ()
    permit = base
    while True:  # grow the route until one more stop would not fit
        try:
            permit = replace(base, route=(*route, "杭州湾跨海大桥"))
        except InvalidPermit:
            break
        route = permit.route
    assert MAX_BODY_BYTES - 30 < len(permit.body()) <= MAX_BODY_BYTES
    signed = issue(permit, KEYS)
    token = signed.token()
    data = render_permit_pdf(permit, token, VERIFY_URL)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1  # the QR code on the one page
    assert _scan(data) == [f"{VERIFY_URL}?t={token}"]
