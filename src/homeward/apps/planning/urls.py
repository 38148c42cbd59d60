from django.urls import path

from homeward.apps.planning import views

app_name = "planning"

urlpatterns = [
    path("planning/", views.board, name="board"),
    path("planning/status/", views.status, name="status"),
    path("planning/run/", views.run_plan, name="run"),
    path("planning/vehicles/", views.vehicle_rows, name="vehicles"),
    path("planning/unassigned/", views.unassigned_rows, name="unassigned"),
    path("planning/unassigned.xlsx", views.unassigned_export, name="unassigned-export"),
    path("planning/late/", views.late_rows, name="late"),
    path(
        "planning/runs/<int:run_id>/train-requests/<int:index>/accept/",
        views.train_request_accept,
        name="train-request-accept",
    ),
    path("planning/runs/<int:run_id>/map.json", views.map_json, name="map"),
    path("planning/runs/<int:run_id>/permits/", views.permits_draft, name="permits-draft"),
    path("planning/vehicles/<int:vehicle_id>/", views.vehicle_detail, name="vehicle"),
    path("planning/vehicles/<int:vehicle_id>/manifest.<str:fmt>", views.manifest_file, name="manifest"),
    path("planning/vehicles/<int:vehicle_id>/dispatch/", views.dispatch, name="dispatch"),
    path("planning/my-seats/", views.my_seats, name="my-seats"),
    path("planning/resources/", views.resources, name="resources"),
]
