"""Background work of the registry: uploaded imports and list exports (ids-only arguments)."""

from __future__ import annotations

from django.tasks import task

from homeward.apps.registry.services.exports import export_run_execute_now
from homeward.apps.registry.services.imports import import_run_execute_now


@task()
def import_run_execute(run_id: int) -> str:
    """Run ImportRun ``run_id`` (queued → running → done/failed); enqueued on commit by
    ``import_run_create``. Returns the final state."""
    return import_run_execute_now(run_id)


@task()
def export_run_execute(run_id: int) -> str:
    """Build ExportRun ``run_id``; enqueued on commit by ``export_run_request``."""
    return export_run_execute_now(run_id)
