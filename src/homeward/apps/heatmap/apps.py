from django.apps import AppConfig


class HeatmapConfig(AppConfig):
    name = "homeward.apps.heatmap"
    label = "heatmap"
    verbose_name = "用工热图"

    def ready(self) -> None:
        from homeward.apps.heatmap.services import heatmap_after_import
        from homeward.apps.registry.signals import import_completed

        def rebuild_after_import(sender: object, kind: str, **_: object) -> None:
            heatmap_after_import(kind=kind)

        import_completed.connect(rebuild_after_import, weak=False, dispatch_uid="heatmap-after-import")
