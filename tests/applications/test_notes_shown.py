"""The application's note is shown on its page (issue #12: it was stored and never shown), escaped."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_note_is_on_the_application_page_escaped(client, enterprise_user):
    from homeward.apps.applications import services

    app = services.application_create_draft(
        actor=enterprise_user, notes="第二批：夜班工人\n<script>alert(1)</script>"
    )
    client.force_login(enterprise_user)
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'data-testid="notes"' in html and "第二批：夜班工人<br>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_note_no_empty_box(client, enterprise_user):
    from homeward.apps.applications import services

    app = services.application_create_draft(actor=enterprise_user)
    client.force_login(enterprise_user)
    assert 'data-testid="notes"' not in client.get(f"/applications/{app.pk}/").content.decode()
