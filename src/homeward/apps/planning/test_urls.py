"""Temporary: the project URLs plus this app's, until the lead includes them (delete with
``test_settings``)."""

from django.urls import include, path

from homeward.urls import urlpatterns as _project

urlpatterns = [*_project, path("", include("homeward.apps.planning.urls"))]
