"""The service team's pages (namespace ``teams``)."""

from django.urls import path

from homeward.apps.teams import views

app_name = "teams"

urlpatterns = [
    path("team/", views.workspace, name="workspace"),
    path("team/health/", views.health_record, name="health-record"),
    path("team/health/<int:status_id>/verify/", views.health_verify, name="health-verify"),
    path("team/tests/", views.tests_schedule, name="tests-schedule"),
    path("team/tests/<int:booking_id>/result/", views.booking_result, name="booking-result"),
    path("team/recruits/", views.recruits, name="recruits"),
    path("team/offers/<int:offer_id>/accept/", views.offer_accept, name="offer-accept"),
    path("vacancies/", views.vacancies, name="vacancies"),
    path("vacancies/<int:vacancy_id>/offers/", views.offer_make, name="offer-make"),
]
