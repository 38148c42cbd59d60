"""Background work of the registry: running uploaded imports (ids-only arguments)."""

from __future__ import annotations

from django.tasks import task

from homeward.apps.registry.services.imports import import_run_execute_now


@task()
def import_run_execute(run_id: int) -> str:
    """Run ImportRun ``run_id`` (queued → running → done/failed); enqueued on commit by
    ``import_run_create``. Returns the final state."""
    return import_run_execute_now(run_id)
