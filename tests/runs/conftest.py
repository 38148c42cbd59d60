"""Run leases, the task worker, stale plans and the database going away. The planning fixtures (a tiny
campaign on the personas' enterprises, files in a temporary directory, tasks in the dummy backend)
are the planning package's own."""

from __future__ import annotations

from tests.planning.conftest import campaign, planned, planning_settings, resources  # noqa: F401
