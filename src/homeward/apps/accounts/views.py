from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from homeward.apps.registry.selectors import registry_stats


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {"stats": registry_stats(actor=request.user)})
