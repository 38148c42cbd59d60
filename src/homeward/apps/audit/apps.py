from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "homeward.apps.audit"
    label = "audit"
    verbose_name = "审计 Audit"
