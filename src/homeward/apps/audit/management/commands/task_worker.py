"""``homeward worker`` (``manage task_worker``): django-tasks-db's ``db_worker`` with the same options,
run by ``ResilientWorker`` (outlives database outages, beats a heartbeat, sweeps abandoned runs).
``--reload`` is accepted and ignored: a reloading worker would break its tasks' leases."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from homeward.apps.audit.worker import ResilientWorker


class Command(DbWorkerCommand):
    help = "Run the task worker (django-tasks-db's, with a heartbeat, lease sweeps and database retries)"

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()
