"""The workbench each role lands on after signing in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_workers_account_lands_on_the_workers_own_page_not_a_board_of_zeros(client, worker_user, home_city):
    client.force_login(worker_user)
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/w/"
    page = client.get("/w/")
    assert page.status_code == 200
    assert 'name="last4"' in page.content.decode()  # the short code + ID last four sign-in


def test_other_roles_keep_their_workbench(client, enterprise_user, taskforce, home_city):
    for user in (enterprise_user, taskforce):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 200, user
        assert "accounts/home.html" in [t.name for t in response.templates]
