"""Chinese first, English available."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import homeward

pytestmark = pytest.mark.django_db


def test_it_speaks_chinese_by_default(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录返岗通" in body


def test_it_speaks_english_when_asked(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in body
    assert "Sign in to Homeward" in body


def test_it_switches_language_for_a_signed_in_user(client, enterprise_user):
    client.force_login(enterprise_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Workers on the roster" in client.get(reverse("home")).content.decode()


def test_every_english_message_is_translated():
    po = (Path(homeward.__file__).parent / "locale/en/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    untranslated = re.findall(r'^msgid "(.+)"\nmsgstr ""$', po, re.M)
    assert untranslated == []
    assert "#, fuzzy" not in po.split("\n\n", 1)[1]


def test_the_pages_scripts_say_nothing_in_one_language():
    """A script's words come translated from its page (json_script), never as literals: the scanner
    glued a Chinese colon onto its English words ("Rejected：..."). Chinese characters or full-width
    punctuation in a script's code (comments aside) would be shown untranslated on the English page."""
    static = Path(homeward.__file__).parent / "static" / "homeward"
    scripts = sorted(static.glob("*.js"))
    assert len(scripts) >= 4  # the walk reached the scanner's, the passenger list's, the permit reader's
    found = []
    for script in scripts:
        code = re.sub(r"/\*.*?\*/", "", script.read_text(encoding="utf-8"), flags=re.S)
        for number, line in enumerate(code.splitlines(), 1):
            text = re.sub(r"^\s*//.*|\s//.*$", "", line)
            if re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", text):
                found.append(f"{script.name}:{number}: {line.strip()}")
    assert found == []
