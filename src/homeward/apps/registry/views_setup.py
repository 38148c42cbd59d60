"""The first-run page: the task force sets up the home city, as ``homeward setup --city CODE`` does."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from homeward.apps.accounts.policy import authorize
from homeward.apps.registry import selectors
from homeward.apps.registry.services.city import city_setup
from homeward.core.errors import DomainError


class CitySetupForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("区县代码"), max_length=12, help_text="330782")
    display_name = forms.CharField(label=gettext_lazy("显示名称"), max_length=50, required=False)
    organiser = forms.CharField(label=gettext_lazy("组织单位"), max_length=100, required=False)


def _page(request: HttpRequest, form: CitySetupForm, error: DomainError | None = None) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "city": selectors.home_city(),
        "towns": selectors.town_list(),
        "stations": selectors.home_stations(),
    }
    return render(request, "registry/setup.html", context, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
def city_setup_page(request: HttpRequest) -> HttpResponse:
    try:
        authorize(request.user, "city.setup")
    except DomainError:
        return render(request, "registry/setup_denied.html", status=403)
    if request.method == "GET":
        city = selectors.home_city()
        initial = (
            {"code": city.code, "display_name": city.display_name, "organiser": city.organiser}
            if city
            else {}
        )
        return _page(request, CitySetupForm(initial=initial))
    form = CitySetupForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    try:
        report = city_setup(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _page(request, form, exc)
    if report.changed:
        messages.success(request, _("已设置本市：") + "；".join(report.changes))
    else:
        messages.info(request, _("本市已设置，没有变化。"))
    return redirect("city-setup")
