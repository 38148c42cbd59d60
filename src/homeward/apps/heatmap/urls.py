from django.urls import path

from homeward.apps.heatmap import views

urlpatterns = [
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("heatmap/tables/", views.heatmap_tables, name="heatmap-tables"),
    path("heatmap/status/", views.heatmap_status, name="heatmap-status"),
    path("heatmap/rebuild/", views.heatmap_rebuild, name="heatmap-rebuild"),
    path("heatmap/export/", views.heatmap_export, name="heatmap-export"),
    path("heatmap/boundaries/<str:level>.json", views.heatmap_boundaries, name="heatmap-boundaries"),
    path("heatmap/screen/", views.heatmap_screen, name="heatmap-screen"),
]
