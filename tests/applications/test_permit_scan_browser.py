"""The verification page reads a permit's QR code itself, in Debian's Chromium under the site's CSP:
from a camera (Chromium's fake camera playing a video of the code), from a picked image, and says in
the page's language when there is no QR code, a foreign one, or no camera allowed on plain http."""

from __future__ import annotations

import io

import numpy as np
import pytest
import segno
from PIL import Image

from tests.applications.conftest import TRANSPORT_DATA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A name the fake resolver maps to the live server: not localhost, so plain http is not a secure context.
LAN_HOST = "checkpoint.lan"


def _lan(live_server) -> str:
    """The live server's address under the LAN name."""
    return live_server.url.replace("localhost", LAN_HOST).replace("127.0.0.1", LAN_HOST)


def _qr_image(text: str, size: int) -> Image.Image:
    """``text`` as a black-on-white QR code (with its quiet zone) centred on a white size × size square."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=1, border=4)
    code = Image.open(buffer).convert("L")
    code = code.resize((size * 9 // 10 // code.width * code.width,) * 2, Image.Resampling.NEAREST)
    square = Image.new("L", (size, size), 255)
    square.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return square


def _png(image: Image.Image, path):
    image.save(path, format="PNG")
    return path


def _y4m(image: Image.Image, path, frames: int = 3):
    """A short YUV4MPEG2 (4:2:0) video of a grey picture, which Chromium's fake camera plays in a loop."""
    luma = np.asarray(image.convert("L"), dtype=np.uint8)
    height, width = luma.shape
    chroma = np.full((height // 2) * (width // 2), 128, dtype=np.uint8).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma.tobytes() + chroma + chroma)
    return path


@pytest.fixture
def road_pass(issued):
    return next(p for p in issued if p.kind == "road_pass")


@pytest.fixture
def scan_page(launch_chromium, live_server, settings):
    """Open a page of its own Chromium, launched with ``args`` (a fake camera, a fake resolver),
    enforcing the CSP, in Chinese unless ``language`` says otherwise."""
    if not (settings.VENDOR_STATIC_DIR / "jsqr" / "jsQR.js").is_file():
        pytest.fail(f"jsQR is missing from {settings.VENDOR_STATIC_DIR} (make install copies it there)")
    opened = []

    def open_page(*args: str, language: str = "zh-Hans"):
        browser = launch_chromium(*args, f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1")
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.add_cookies(
            [
                {"name": "django_language", "value": language, "url": url}
                for url in (live_server.url, _lan(live_server))
            ]
        )
        context.set_default_timeout(15_000)
        opened.append(browser)
        return context.new_page()

    yield open_page
    for browser in opened:
        browser.close()


def _assert_valid(page, road_pass):
    verdict = page.get_by_test_id("verification")
    verdict.wait_for()
    assert verdict.get_attribute("data-valid") == "true", verdict.inner_text()
    text = verdict.inner_text()
    assert "有效：全部会签核验通过" in text and road_pass.permit_id in text
    assert "北京时间" in text and TRANSPORT_DATA["plate"] in text
    assert page.locator("#verify-form input[name=t]").input_value() == road_pass.token


def test_the_camera_reads_the_link_and_opens_it(scan_page, live_server, settings, tmp_path, road_pass):
    from homeward.apps.applications import services
    from homeward.core.permits import verify_link

    settings.HOMEWARD_PUBLIC_URL = live_server.url  # the QR code links to this very server
    link = verify_link(services.verify_url(), road_pass.token)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(_qr_image(link, 480), (80, 0))
    video = _y4m(frame, tmp_path / "qr.y4m")
    page = scan_page(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    page.goto("/permits/verify/")
    page.get_by_role("button", name="扫码核验").click()
    page.wait_for_url(f"**/permits/verify/?t={road_pass.token}")
    _assert_valid(page, road_pass)


def test_a_picked_image_with_a_link_to_the_public_address_is_verified_here(
    scan_page, settings, tmp_path, road_pass
):
    from homeward.apps.applications import services
    from homeward.core.permits import verify_link

    settings.HOMEWARD_PUBLIC_URL = "https://homeward.example.gov.cn"  # printed on the permit
    photo = _png(_qr_image(verify_link(services.verify_url(), road_pass.token), 900), tmp_path / "qr.png")
    page = scan_page()
    page.goto("/permits/verify/")
    page.get_by_test_id("scanner").locator("input[type=file]").set_input_files(photo)
    page.wait_for_url("**/permits/verify/?t=*")
    _assert_valid(page, road_pass)


@pytest.mark.parametrize(
    ("language", "picture", "state", "message"),
    [
        ("zh-Hans", "blank", "no-code", "图片中没有找到二维码；请拍清楚整个二维码后重试"),
        ("en", "blank", "no-code", "No QR code found in the image; take a sharp photo of the whole code and try again"),
        ("zh-Hans", "foreign", "foreign", "这不是本系统许可证的二维码"),
        ("en", "foreign", "foreign", "This QR code is not a permit of this system"),
    ],
)  # fmt: skip
def test_a_picked_image_without_a_permit_says_so(scan_page, tmp_path, language, picture, state, message):
    image = _qr_image("https://example.com/permits/verify/?t=HW1.x", 600)
    if picture == "blank":
        image = Image.new("L", (600, 400), 255)
    page = scan_page(language=language)
    page.goto("/permits/verify/")
    scanner = page.get_by_test_id("scanner")
    scanner.locator("input[type=file]").set_input_files(_png(image, tmp_path / "picked.png"))
    page.wait_for_selector(f"[data-testid=scanner][data-state={state}]")
    assert scanner.get_by_role("status").inner_text() == message
    assert page.get_by_test_id("verification").count() == 0 and page.url.endswith("/permits/verify/")


@pytest.mark.parametrize(
    ("language", "message", "photo"),
    [
        ("zh-Hans", "当前连接不是 HTTPS，浏览器不允许网页使用相机；请用“拍照/选择图片”", "拍照/选择图片"),
        ("en", "This connection is not HTTPS, so the browser does not let the page use the camera; "
               "use “Take a photo / choose an image”", "Take a photo / choose an image"),
    ],
)  # fmt: skip
def test_on_plain_http_over_the_lan_only_the_photo_is_offered(
    scan_page, live_server, settings, language, message, photo
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, LAN_HOST]
    page = scan_page(language=language)
    page.goto(_lan(live_server) + "/permits/verify/")
    scanner = page.get_by_test_id("scanner")
    scanner.wait_for()
    assert page.evaluate("window.isSecureContext") is False
    assert scanner.get_attribute("data-state") == "insecure"
    assert scanner.get_by_role("status").inner_text() == message
    assert "permit-scan" not in page.locator("main").inner_text()  # no template comment shows
    assert not scanner.locator("[data-scan-start]").is_visible()
    assert scanner.locator("label.button").inner_text().strip() == photo


def test_a_refused_camera_says_so(scan_page, tmp_path):
    """Without the fake permission prompt, headless Chromium refuses the camera."""
    page = scan_page("--use-fake-device-for-media-stream")
    page.goto("/permits/verify/")
    page.get_by_role("button", name="扫码核验").click()
    page.wait_for_selector("[data-testid=scanner][data-state=denied]")
    assert page.get_by_test_id("scanner").get_by_role("status").inner_text() == (
        "相机权限被拒绝；请在浏览器设置中允许本站使用相机，或用“拍照/选择图片”"
    )
