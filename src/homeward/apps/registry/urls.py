from django.urls import include, path

from homeward.apps.registry import views, views_exports, views_setup

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise-list"),
    path("workers/", views.worker_list, name="worker-list"),
    path("workers/<int:worker_id>/reveal/", views.worker_reveal_view, name="worker-reveal"),
    path("workers/export/", views_exports.worker_export_start, name="worker-export"),
    path("exports/<int:export_id>/", views_exports.export_status, name="export-status"),
    path("exports/<int:export_id>/download/", views_exports.export_download, name="export-download"),
    path("imports/", include("homeward.apps.registry.urls_imports")),
    path("setup/", views_setup.city_setup_page, name="city-setup"),
]
