"""Letters home, core: the template check and rendering, origin prefixes, the channels' pace, the
file channel's batches and the printable letters."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.core.errors import DomainError
from homeward.core.outreach.audience import Audience, origin_prefix
from homeward.core.outreach.channels import FileChannel, HttpGateway, Outgoing
from homeward.core.outreach.letter import DEFAULT_TEMPLATE, FIELDS, Recipient, render, template_check
from homeward.core.outreach.pacing import batch_size_for, wait_before_next

# values may hold anything a registry holds, braces and field names included
value = st.text(max_size=30)
recipients = st.builds(Recipient, value, value, value, value, value, value)
# templates made of literal text (no braces) and fields, with the link somewhere
literal = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)
pieces = st.lists(st.one_of(literal, st.sampled_from([f"{{{f}}}" for f in FIELDS])), max_size=8)


@given(pieces, pieces, recipients)
def test_rendering_replaces_every_field_once_with_its_value(before, after, who):
    parts = ["家书：", *before, "{链接}", *after, "。"]  # ends that strip() leaves alone
    out = render(template_check("".join(parts)), who)
    # the expected text, built independently: each field piece replaced by its value
    expected = "".join(
        who.values()[FIELDS[p[1:-1]]] if p[1:-1] in FIELDS and p[0] == "{" else p for p in parts
    )
    assert out == expected
    assert who.link in out


@given(st.text(max_size=40))
def test_a_template_without_the_link_or_with_unknown_fields_is_refused(text):
    if "{链接}" in text:
        return
    with pytest.raises(DomainError) as exc:
        template_check(text)
    assert exc.value.code == "bad_template"


def test_the_default_template_is_usable():
    assert template_check(DEFAULT_TEMPLATE) == DEFAULT_TEMPLATE
    with pytest.raises(DomainError):
        template_check("{姓名} {电话} {链接}")
    with pytest.raises(DomainError):
        template_check("{链接} {")


@given(st.from_regex(r"[1-6][0-9]{5}", fullmatch=True))
def test_an_origin_prefix_matches_exactly_the_codes_inside_the_region(code):
    prefix = origin_prefix(code)
    assert code.startswith(prefix)
    assert len(prefix) == (2 if code[2:] == "0000" else 4 if code[4:] == "00" else 6)


def test_an_audience_refuses_bad_values_and_round_trips():
    a = Audience(origin="520500", town="330282001", enterprise=3, risk=("low",), status=("away",))
    assert Audience.from_json(a.as_json()) == a
    for bad in ({"origin": "5205"}, {"risk": ("severe",)}, {"status": ("gone",)}, {"status": ()}):
        with pytest.raises(DomainError):
            Audience(**bad)


@given(st.integers(0, 10_000), st.integers(1, 5_000), st.lists(st.floats(0, 5), min_size=1, max_size=20))
def test_pacing_never_lets_more_than_the_rate_through(per_minute, wanted, gaps):
    """Send batches back to back, waiting as told: at no time has the channel received more than the
    rate allows for the time gone (one batch of slack, since a batch goes out whole)."""
    size = batch_size_for(per_minute, wanted)
    assert 1 <= size <= max(1, wanted)
    clock, sent = 0.0, 0
    for gap in gaps:
        sent += size
        clock += gap  # the time the batch took
        clock += wait_before_next(per_minute, sent, clock)
        if per_minute > 0:
            assert size <= per_minute or per_minute < 1
            assert sent - size <= per_minute * clock / 60 + 1e-6


def _letters(n):
    return [
        Outgoing(i, 100 + i, f"张{i}", "13800000000", f"张{i}您好 https://x/w/start/?k={i}", "https://x")
        for i in range(n)
    ]


def test_the_file_channel_overwrites_a_batch_sent_again(tmp_path):
    channel = FileChannel(tmp_path)
    channel.deliver("batch-000001", _letters(3))
    out = channel.deliver("batch-000001", _letters(2))
    assert [o.status for o in out] == ["delivered", "delivered"]
    lines = (tmp_path / "batch-000001.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["letter"] for x in lines] == [0, 1]


def test_a_gateway_refuses_to_send_until_configured():
    with pytest.raises(DomainError) as exc:
        HttpGateway("sms").deliver("batch-000000", _letters(1))
    assert exc.value.code == "channel_not_configured"


def test_printable_letters_have_one_a5_page_per_worker_with_the_link_as_a_qr(tmp_path):
    import pypdfium2
    import zxingcpp

    from homeward.core.outreach.channels import PrintChannel

    letters = _letters(3)
    PrintChannel(tmp_path).deliver("batch-000000", letters)
    pdf = pypdfium2.PdfDocument(str(tmp_path / "batch-000000.pdf"))
    assert len(pdf) == 3
    width, height = pdf[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210)
    image = pdf[1].render(scale=3).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://x"]
