from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from homeward.apps.registry.selectors import registry_stats


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {"stats": registry_stats(actor=request.user)})


class LoginView(auth_views.LoginView):
    """Django's login, answering 429 with its own message while the rate limit refuses sign-ins
    (``homeward.apps.ops.login``)."""

    template_name = "accounts/login.html"

    def form_invalid(self, form: Any) -> HttpResponse:
        if getattr(self.request, "homeward_login_locked", None):
            context = self.get_context_data(form=form, locked_minutes=settings.HOMEWARD_LOGIN_LOCKOUT_MINUTES)
            return self.render_to_response(context, status=429)
        return super().form_invalid(form)
