from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from homeward.apps.accounts.policy import allows
from homeward.apps.heatmap.selectors import headline_totals
from homeward.apps.registry.selectors import home_city, registry_stats
from homeward.core.errors import DomainError


def home(request: HttpRequest) -> HttpResponse:
    """The workbench; before the home city is set up, the task force lands on the first-run page. A
    worker's account has no workbench (no enterprise, town or area): it gets the way to its own
    content, the worker page's sign-in to the trip and e-ticket (found by a Chromium walk: it landed
    on a board of zeros)."""
    city = home_city()
    if city is None and allows(request.user, "city.setup"):
        return redirect("city-setup")
    if allows(request.user, "trip.read"):
        return render(request, "trips/signin.html", {})
    # the heat map's figures when the actor has them (one truth for every count); a role bound to no
    # area keeps the registry's own counts, labelled as such
    fused = None
    with suppress(DomainError):
        fused = headline_totals(actor=request.user)
    stats = registry_stats(actor=request.user, people=fused is None)
    return render(request, "accounts/home.html", {"stats": stats, "city": city, "fused": fused})


class LoginView(auth_views.LoginView):
    """Django's login, answering 429 with its own message while the rate limit refuses sign-ins
    (``homeward.apps.ops.login``)."""

    template_name = "accounts/login.html"

    def form_invalid(self, form: Any) -> HttpResponse:
        if getattr(self.request, "homeward_login_locked", None):
            context = self.get_context_data(form=form, locked_minutes=settings.HOMEWARD_LOGIN_LOCKOUT_MINUTES)
            return self.render_to_response(context, status=429)
        return super().form_invalid(form)
