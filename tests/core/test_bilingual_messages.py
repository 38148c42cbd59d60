"""A bilingual message, ``中文说明 (english explanation)``, shown in one language (issue #12 item 7)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from homeward.core.errors import bilingual_halves, in_language

# Real messages of the code base (grep the raises) and what each half is.
REAL = [
    ("找不到该对象 (no such application in your scope)", "找不到该对象", "no such application in your scope"),
    ("还没有计划 (no plan yet)", "还没有计划", "no plan yet"),
    ("名单为空，请先上传或添加人员 (no workers on the list)", "名单为空，请先上传或添加人员", "no workers on the list"),
    ("补贴分担比例之和应为 100 (shares must add up to 100)", "补贴分担比例之和应为 100", "shares must add up to 100"),
    ("vehicles 应为对象列表 (list of objects)", "vehicles 应为对象列表", "list of objects"),
    ("申请 #5 当前状态为 已受理，不能再次提交 (not allowed in state accepted)",
     "申请 #5 当前状态为 已受理，不能再次提交", "not allowed in state accepted"),
    # the Chinese half holds parentheses of its own
    ("未知的区县代码 'abc'：请填写现行县级行政区划代码，如 330782 (义乌市) (unknown county code 'abc': e.g. 330782)",
     "未知的区县代码 'abc'：请填写现行县级行政区划代码，如 330782 (义乌市)", "unknown county code 'abc': e.g. 330782"),
    ("区划代码 (330282) 无效 (bad origin code)", "区划代码 (330282) 无效", "bad origin code"),
    # two bilingual parts joined (the API's 400 with the middleware's reason)
    ("请求无效 (bad request): 参数 q 含有 NUL 字符 (query parameter q contains a NUL character)",
     "请求无效: 参数 q 含有 NUL 字符", "bad request: query parameter q contains a NUL character"),
    ("请求参数无效：body.notes (invalid input: body.notes)", "请求参数无效：body.notes", "invalid input: body.notes"),
    ("数据库暂时不可用，请稍后重试 (the database is temporarily unavailable; try again shortly)",
     "数据库暂时不可用，请稍后重试", "the database is temporarily unavailable; try again shortly"),
]  # fmt: skip
# Not the convention: shown as they are.
NOT_BILINGUAL = [
    "token is truncated",
    "level 应为 province, prefecture 或 county",
    "只接受 .xlsx、.xls 或 .csv 文件",
    "如 330782 (义乌市)",
    "身份证号 (ID) 有误",  # a code in parentheses inside the Chinese text is no English half
    "(bad request) 请求无效",
    "",
]


@pytest.mark.parametrize(("message", "zh", "en"), REAL)
def test_it_splits_the_real_messages(message: str, zh: str, en: str) -> None:
    assert bilingual_halves(message) == (zh, en)
    assert in_language(message, "zh-hans") == zh
    assert in_language(message, "en") == en[:1].upper() + en[1:]  # shown alone: as a sentence
    assert in_language(message, None) == message


def test_an_english_half_that_starts_with_an_identifier_keeps_its_case() -> None:
    assert in_language("请选择企业 (enterprise_id is required)", "en") == "enterprise_id is required"
    assert in_language("格式不对 (body.notes: too long)", "en") == "body.notes: too long"
    assert in_language("还没有计划 (no plan yet)", "en") == "No plan yet"


@pytest.mark.parametrize("message", NOT_BILINGUAL)
def test_it_leaves_other_messages_as_they_are(message: str) -> None:
    assert bilingual_halves(message) is None
    assert in_language(message, "en") == message == in_language(message, "zh-hans")


CJK_TEXT = st.text(
    st.sampled_from("中文说明已受理找不到对象，：、 0123456789#'(义乌市)"), min_size=1, max_size=30
)
ENGLISH = st.from_regex(r"[a-z]{2,8}( [a-z0-9:;,']{1,8}){0,5}", fullmatch=True)


def _nested(text: str) -> bool:
    """Every ")" closes an earlier "(" and none is left open (equal counts are not enough: ")(")."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@given(CJK_TEXT.filter(lambda t: re.search(r"[\u4e00-\u9fff]", t) is not None), ENGLISH)
@example(zh=")(不", en="aa")  # found by CI: counts equal, order not
def test_the_halves_of_any_bilingual_message_come_back(zh: str, en: str) -> None:
    """Whatever the Chinese text holds (codes, its own balanced parentheses, punctuation), the
    English half written after it comes back whole, and the Chinese half has no English in it."""
    if not _nested(zh):  # the convention's Chinese half holds only properly nested parentheses
        zh = zh.replace("(", "").replace(")", "")
    halves = bilingual_halves(f"{zh} ({en})")
    assert halves is not None
    assert halves == (zh.strip(), en.strip())
