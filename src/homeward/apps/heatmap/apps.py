from django.apps import AppConfig


class HeatmapConfig(AppConfig):
    name = "homeward.apps.heatmap"
    label = "heatmap"
    verbose_name = "用工热图 Heat map"
