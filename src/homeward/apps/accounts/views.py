from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from homeward.apps.accounts.roles import is_taskforce
from homeward.apps.registry.selectors import home_city, registry_stats


def home(request: HttpRequest) -> HttpResponse:
    """The workbench; before the home city is set up, the task force lands on the first-run page."""
    city = home_city()
    if city is None and is_taskforce(request.user):
        return redirect("city-setup")
    return render(request, "accounts/home.html", {"stats": registry_stats(actor=request.user), "city": city})
