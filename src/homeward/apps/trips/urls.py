"""The worker's own pages (``w/``), the scanner (``scan/``), contact tracing (``tracing/``), the command dashboard (``command/``) and the link button of an application's page (namespace ``trips``)."""

from django.urls import path

from homeward.apps.trips import command_views, views

app_name = "trips"

urlpatterns = [
    path("w/", views.worker_home, name="home"),
    path("w/start/", views.worker_start, name="start"),
    path("w/confirm/", views.worker_confirm, name="confirm"),
    path("w/decline/", views.worker_decline, name="decline"),
    path("w/health/", views.worker_health, name="health"),
    path("w/signout/", views.worker_signout, name="signout"),
    path("scan/", views.scan_page, name="scan"),
    path("tracing/", views.tracing_page, name="tracing"),
    path("command/", command_views.command_page, name="command"),
    path("tracing/contacts.xlsx", views.tracing_export, name="tracing-export"),
    path(
        "applications/<int:application_id>/workers/<int:row_id>/link/",
        views.worker_link_issue,
        name="link-issue",
    ),
]
