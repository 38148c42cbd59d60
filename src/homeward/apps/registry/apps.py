from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "homeward.apps.registry"
    label = "registry"
    verbose_name = "登记册 Registries"
