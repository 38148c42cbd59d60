"""Pages of return applications; the project includes this under "" (namespace ``applications``)."""

from django.urls import path

from homeward.apps.applications import views

app_name = "applications"

urlpatterns = [
    path("applications/", views.application_list, name="list"),
    path("applications/new/", views.application_new, name="new"),
    path("applications/<int:application_id>/", views.application_detail, name="detail"),
    path("applications/<int:application_id>/clock/", views.application_clock, name="clock"),
    path("applications/<int:application_id>/upload/", views.application_upload, name="upload"),
    path("applications/<int:application_id>/submit/", views.application_submit, name="submit"),
    path("applications/<int:application_id>/accept/", views.application_accept, name="accept"),
    path("applications/<int:application_id>/cancel/", views.application_cancel, name="cancel"),
    path(
        "applications/<int:application_id>/workers/<int:row_id>/remove/",
        views.application_worker_remove,
        name="worker-remove",
    ),
    path(
        "applications/<int:application_id>/workers/<int:row_id>/reveal/",
        views.application_worker_reveal,
        name="worker-reveal",
    ),
    path("tasks/", views.task_queue, name="tasks"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task-complete"),
    path("permits/<int:permit_id>/sign/", views.permit_sign, name="permit-sign"),
    path("permits/<int:permit_id>/fill/", views.permit_fill, name="permit-fill"),
    path("permits/<int:permit_id>/pdf/", views.permit_pdf, name="permit-pdf"),
    path("permits/verify/", views.permit_verify, name="permit-verify"),
]
