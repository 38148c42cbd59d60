"""Import pages; included under ``imports/`` by registry/urls.py."""

from django.urls import path

from homeward.apps.registry import views_imports

urlpatterns = [
    path("", views_imports.import_list, name="import-list"),
    path("upload/", views_imports.import_upload, name="import-upload"),
    path("<int:run_id>/", views_imports.import_detail, name="import-detail"),
    path("<int:run_id>/status/", views_imports.import_status, name="import-status"),
    path("<int:run_id>/rejected.xlsx", views_imports.import_rejects, name="import-rejects"),
]
