"""Every message a person can be shown by the application layer is written ``中文 (english)``, so
that a page or an API answer shows the reader's half (``core.errors.bilingual_halves``): a static
rule over every ``DomainError`` family raise and row error under ``apps/`` whose message is written out (a literal
or an f-string with words of its own). Messages built wholly from other values (a row error's own
text, a constant pair) are checked where those values are written.

``core/`` is the plain-Python library (the permit format, the solver adapter): its messages are for
the programs and operators that call it, and the pages map its reason codes to their own words
(the verify page's verdicts)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import homeward
from homeward.core.errors import bilingual_halves

APPS = Path(homeward.__file__).parent / "apps"
# The error family (message: first argument) and a row report's error (message: fourth).
ERRORS = dict.fromkeys(
    ("DomainError", "Conflict", "NotFound", "PermissionDenied", "UnreadableFile", "DemoError"), 0
)
ERRORS["RowError"] = 3
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")


def _written(node: ast.expr) -> str | None:
    """The message with every interpolated value as ``1``; None when not written out here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "1" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _written(node.left), _written(node.right)
        return None if left is None or right is None else left + right
    return None


def _messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted(APPS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            at = ERRORS.get(name, len(node.args))
            text = _written(node.args[at]) if at < len(node.args) else None
            if text is not None and WORDS.search(text.replace("1", "")):
                found.append((f"{path.relative_to(APPS.parent)}:{node.lineno}", text))
    return found


def test_every_written_message_of_the_application_layer_has_both_halves():
    messages = _messages()
    assert len(messages) > 50  # the rule reads the raises (a parser change would empty it)
    one_language = [f"{where}: {text}" for where, text in messages if bilingual_halves(text) is None]
    assert one_language == []


def test_the_rule_catches_a_message_in_one_language():
    assert bilingual_halves("level 应为 province 或 county") is None
    assert bilingual_halves("login locked") is None
    assert bilingual_halves("登录尝试过多 (too many sign-in attempts)") == (
        "登录尝试过多",
        "too many sign-in attempts",
    )


def test_every_template_shows_a_message_in_the_readers_half():
    """A template that shows a service's ``message`` passes it through ``in_language`` (the worker's
    and scanner's error pages showed both halves, found walking the city demo)."""
    templates = Path(homeward.__file__).parent / "templates"
    raw = re.compile(r"\{\{\s*(?:\w+\.)*(?:message|at_risk_reason)\s*\}\}")
    bare = [
        f"{path.relative_to(templates)}:{n}"
        for path in sorted(templates.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if raw.search(line)
    ]
    assert bare == []
