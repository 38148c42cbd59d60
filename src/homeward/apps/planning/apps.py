from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "homeward.apps.planning"
    label = "planning"
    verbose_name = "接返计划 Planning"
