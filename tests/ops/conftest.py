"""Operations tests reuse the applications' fixtures (an application in each state, permits)."""

from tests.applications.conftest import (  # noqa: F401
    accepted,
    draft,
    enterprise_user,
    issued,
    permits_drafted,
    submitted,
)
