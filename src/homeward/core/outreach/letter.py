"""The letter template: Chinese text with named fields, rendered once per worker.

Fields are written ``{姓名}``; the template may use only the names in ``FIELDS`` and must carry the
worker's link (``{链接}``), the one way a letter is answered. Braces that are not a field are refused
rather than printed, so a typo never reaches 400,000 phones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from homeward.core.errors import DomainError

# field name in the template → the key of the worker's values
FIELDS: dict[str, str] = {
    "姓名": "name",
    "企业": "employer",
    "镇街": "town",
    "热线": "hotline",
    "链接": "link",
    "短码": "code",
}
REQUIRED = ("链接",)
MAX_LENGTH = 1000
_FIELD = re.compile(r"\{([^{}]*)\}")

DEFAULT_TEMPLATE = (
    "{姓名}您好：家乡的亲人盼您平安，{企业}和{镇街}盼您早日返岗。"
    "请点击链接告诉我们您的返程打算（何时返回、现在所在区县、是否需要包车接送）：{链接} "
    "链接失效时可凭短码 {短码} 和身份证后四位登录。咨询热线 {热线}。不想再收到来信，可在链接页面退订。"
)


@dataclass(frozen=True, slots=True)
class Recipient:
    """What a letter says to one worker."""

    name: str
    employer: str
    town: str
    hotline: str
    link: str
    code: str

    def values(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FIELDS.values()}


def template_check(text: str) -> str:
    """The template, stripped, when it is usable; DomainError ``bad_template`` otherwise."""
    text = text.strip()
    if not text:
        raise DomainError("信件内容不能为空 (the letter is empty)", "bad_template")
    if len(text) > MAX_LENGTH:
        raise DomainError(f"信件不能超过 {MAX_LENGTH} 字 (the letter is too long)", "bad_template")
    unknown = sorted({name for name in _FIELD.findall(text) if name not in FIELDS})
    if unknown:
        names = "、".join(unknown)
        raise DomainError(f"未知的字段：{names} (unknown fields in the letter)", "bad_template")
    if _FIELD.sub("", text).count("{") or _FIELD.sub("", text).count("}"):
        raise DomainError("花括号不成对 (unbalanced braces in the letter)", "bad_template")
    missing = [name for name in REQUIRED if "{" + name + "}" not in text]
    if missing:
        raise DomainError("信件须包含 {链接} (the letter must carry the worker's link)", "bad_template")
    return text


def render(text: str, recipient: Recipient | Mapping[str, str]) -> str:
    """``text`` (already checked) with each field replaced by the recipient's value, in one pass:
    a value that itself looks like a field (a name written ``{热线}``) is not expanded again."""
    values = recipient.values() if isinstance(recipient, Recipient) else recipient
    return _FIELD.sub(lambda m: values[FIELDS[m.group(1)]], text)
