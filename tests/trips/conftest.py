"""Door-to-door tests run on the planning tests' campaign (two enterprises, a train and buses)."""

from tests.planning.conftest import (  # noqa: F401  (fixtures)
    _planning_daytime,
    campaign,
    planned,
    planning_settings,
    resources,
)
