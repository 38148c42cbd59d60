"""Background work of the heat map (ids-only arguments)."""

from __future__ import annotations

from django.tasks import task

from homeward.apps.heatmap.services import heatmap_rebuild_execute_now


@task()
def heatmap_rebuild(snapshot_id: int) -> str:
    """Build HeatmapSnapshot ``snapshot_id`` (queued → running → done/failed); enqueued on commit by
    ``heatmap_rebuild_request``. Returns the final state."""
    return heatmap_rebuild_execute_now(snapshot_id)
