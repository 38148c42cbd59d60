"""Door-to-door tests run on the planning tests' campaign (two enterprises, a train and buses)."""

import pytest

from tests.planning.conftest import (  # noqa: F401  (fixtures)
    _planning_daytime,
    campaign,
    planned,
    planning_settings,
    resources,
)


@pytest.fixture
def escort_user(resources):  # noqa: F811 (the fixture above, by name)
    """A medical escort's login, bound to the campaign's one escort (医生甲), whom the plan crews on
    its train."""
    from homeward.apps.planning.models import MedicalEscort
    from tests.conftest import _persona

    return _persona("escort", "escort", escort=MedicalEscort.objects.get(name="医生甲"))
