from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "homeward.apps.ops"
    label = "ops"
    verbose_name = "运维 Operations"

    def ready(self) -> None:
        # Registers the deploy checks and the login/logout signal receivers.
        from homeward.apps.ops import checks, login  # noqa: F401
