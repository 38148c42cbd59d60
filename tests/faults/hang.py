"""``python -m tests.faults.hang MODULE:FUNCTION FLAG``: the task worker, with one step of the work made
to hang after it ran (inside the run's transaction), so that a test can kill the worker in the middle
of a run at a known point. The step's pid is written to FLAG when it is reached."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    target, flag = sys.argv[1], Path(sys.argv[2])
    from homeward.cli._django import setup_django

    setup_django()
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    step = getattr(module, name)

    def hang(*args: Any, **kwargs: Any) -> Any:
        step(*args, **kwargs)  # the step's writes are made, not committed
        flag.write_text(str(os.getpid()))
        while True:
            time.sleep(1)

    setattr(module, name, hang)
    from django.core.management import call_command

    call_command("task_worker", "--no-startup-delay", "--interval", "0.2")


if __name__ == "__main__":
    main()
