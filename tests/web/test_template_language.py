"""No untranslated prose in templates (issue #12: "新增 accepted", "英语" in the language menu …):
every text node and every attribute people read (title, placeholder, aria-label, alt) with Chinese
or English words sits inside ``{% translate %}`` / ``{% blocktranslate %}``, so the Chinese page has
no English and the English page no Chinese, outside proper names and data. Static: it reads every
template, so a new page is covered the day it is written."""

from __future__ import annotations

import re
from pathlib import Path

import homeward

ROOT = Path(homeward.__file__).parent
TEMPLATES = [ROOT / "templates", *sorted((ROOT / "apps").glob("*/templates"))]

# Names and units that are the same in both languages.
SAME_IN_BOTH = {"Homeward", "PDF", "Excel", "GeoJSON", "km", "QR", "ID", "HR"}
# The language switcher's label is in both languages on purpose: whoever cannot read the page's
# language must still find it. Import column hints name the headers a file may carry (data).
EXEMPT = {
    ("base.html", "Language"),
    ("registry/import_upload.html", "*"),
}

_TAGS = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_TRANSLATED = re.compile(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", re.S)
_SKIPPED = re.compile(r"<script.*?</script>|<style.*?</style>|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
_READ_ATTRS = re.compile(r'(?:title|placeholder|aria-label|alt)="([^"]*)"')
_WORDS = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]{2,}")


def _untranslated(text: str) -> list[str]:
    text = _TAGS.sub(" ", _SKIPPED.sub(" ", _TRANSLATED.sub(" ", text)))
    found = []
    for piece in [*re.findall(r">([^<>]+)<", text), *_READ_ATTRS.findall(text)]:
        words = [w for w in _WORDS.findall(piece) if w not in SAME_IN_BOTH]
        if words:
            found.append(piece.strip()[:60])
    return found


def test_every_template_string_people_read_is_translated() -> None:
    problems = []
    count = 0
    for root in TEMPLATES:
        for path in sorted(root.rglob("*.html")):
            count += 1
            name = path.relative_to(root).as_posix()
            for piece in _untranslated(path.read_text(encoding="utf-8")):
                if (name, piece) in EXEMPT or (name, "*") in EXEMPT:
                    continue
                problems.append(f"{name}: {piece!r}")
    assert count > 40  # every template of the project was read
    assert not problems, "untranslated template text:\n" + "\n".join(problems)


def test_the_scanner_finds_what_it_should() -> None:
    assert _untranslated("<p>新增 accepted</p>") == ["新增 accepted"]
    assert _untranslated('<input placeholder="search">') == ["search"]
    assert _untranslated('<p>{% translate "新增" %} {{ n }}</p><p>PDF · 12 km</p>') == []
    assert _untranslated("<p>{% blocktranslate %}共 {{ n }} 行{% endblocktranslate %}</p>") == []
