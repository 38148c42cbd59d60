"""The HTTP API under /api/v1/. Each app contributes a router; DomainError maps here, once."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from homeward import __version__, dbfaults
from homeward.core.errors import DomainError

api = NinjaAPI(
    title="Homeward API",
    version=__version__,
    description="返岗通 Homeward: registries, imports and (later) applications, plans and journeys.",
    urls_namespace="api",
    auth=django_auth,
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"status": exc.status, "reason": exc.code, "message": exc.message}, status=exc.status
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: OperationalError | InterfaceError) -> HttpResponse:
    """A database locked past its timeout or away: 503 ``{status, reason: db_unavailable, message}``."""
    response = api.create_response(request, dbfaults.unavailable_body(), status=503)
    response["Retry-After"] = str(dbfaults.RETRY_AFTER_SECONDS)
    return response


def _mount_routers() -> None:
    from homeward.apps.registry.api import router as registry_router
    from homeward.apps.registry.api_imports import router as imports_router

    api.add_router("/", registry_router)
    api.add_router("/", imports_router)

    from homeward.apps.applications.api import router as applications_router

    api.add_router("/", applications_router)

    from homeward.apps.heatmap.api import router as heatmap_router

    api.add_router("/", heatmap_router)

    from homeward.apps.planning.api import router as planning_router

    api.add_router("/", planning_router)


_mount_routers()
