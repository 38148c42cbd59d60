"""The SMS keyword grammar (``core.outreach.keywords``): parsing never raises, and a formatted reply
parses back to itself."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from homeward.core.outreach.keywords import (
    HEALTH_OF,
    KeywordOptOut,
    KeywordReply,
    Refused,
    format_keywords,
    parse_keywords,
)

TODAY = date(2020, 2, 10)
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31))
words = st.text(alphabet=st.characters(categories=["Lo", "Nd", "Ll", "Zs", "Po"]), max_size=30)
reasons = st.text(alphabet=st.sampled_from("家中有事孩子上学病abc 123"), max_size=40).map(
    lambda s: " ".join(s.split())
)


@st.composite
def replies(draw) -> tuple[date, KeywordReply]:
    today = draw(days)
    if draw(st.booleans()):
        return today, KeywordReply("not_returning", reason=draw(reasons))
    return today, KeywordReply(
        "returning",
        today + timedelta(days=draw(st.integers(0, 364))),
        draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
        draw(st.booleans()),
        draw(st.sampled_from(["", *HEALTH_OF])),
    )


@given(st.one_of(st.text(max_size=60), words.map(lambda w: "回 " + w), words.map(lambda w: "回" + w)), days)
def test_parsing_never_raises(text, today):
    assert isinstance(parse_keywords(text, today), KeywordReply | KeywordOptOut | Refused)


@given(replies())
def test_a_formatted_reply_parses_back_to_itself(case):
    today, reply = case
    assert parse_keywords(format_keywords(reply), today) == reply


def test_the_documented_examples():
    assert parse_keywords("回 3月2日 520502 要车 绿码", TODAY) == KeywordReply(
        "returning", date(2020, 3, 2), "520502", True, "green"
    )
    # full-width digits and spaces, words in any order; a day already past is next year's
    assert parse_keywords("回　５２０５０２　2月1号", TODAY) == KeywordReply(
        "returning", date(2021, 2, 1), "520502"
    )
    assert parse_keywords("不回 家中有事", TODAY) == KeywordReply("not_returning", reason="家中有事")
    assert parse_keywords(" 退订 ", TODAY) == KeywordOptOut()
    assert parse_keywords("回 3月2日", TODAY).reason == "bad_county"
    assert parse_keywords("回 520502", TODAY).reason == "bad_date"
    assert parse_keywords("回 2月30日 520502", TODAY).reason == "bad_date"
    assert parse_keywords("回 3月2日 520502 马上", TODAY).reason == "unknown_word"
    assert parse_keywords("你好", TODAY).reason == "unknown_keyword"
