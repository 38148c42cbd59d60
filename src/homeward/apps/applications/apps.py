from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "homeward.apps.applications"
    label = "applications"
    verbose_name = "接返申请 Return applications"
