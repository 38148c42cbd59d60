"""Registry writes. Imports live in ``imports`` (set-based writes in ``bulk``)."""

from __future__ import annotations

from homeward.apps.registry.services.imports import (
    ImportReport,
    carrier_import,
    import_file,
    import_run_create,
    import_run_execute_now,
    import_run_from_path,
    police_import,
    roster_import,
)

__all__ = [
    "ImportReport",
    "carrier_import",
    "import_file",
    "import_run_create",
    "import_run_execute_now",
    "import_run_from_path",
    "police_import",
    "roster_import",
]
