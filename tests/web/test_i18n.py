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
