from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "homeward.apps.teams"
    label = "teams"
    verbose_name = "服务小分队 Service teams"
