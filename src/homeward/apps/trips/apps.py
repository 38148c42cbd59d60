from django.apps import AppConfig


class TripsConfig(AppConfig):
    name = "homeward.apps.trips"
    label = "trips"
    verbose_name = "门到门 Door to door"
