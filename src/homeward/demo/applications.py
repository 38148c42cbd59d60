"""Demo applications: one in every state, open cases with tasks half done, and issued permits, all
made through the real services by the demo users (``demo-taskforce``, ``demo-transport``, …).

Call after the city and its users are loaded: ``demo_applications_load(seed=seed)``. Deterministic in
which enterprises and workers it picks (by seed); times are real (the clock runs from now).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from homeward.apps.accounts.roles import Role
from homeward.apps.applications import keystore, services
from homeward.apps.applications.models import DepartmentTask, Permit
from homeward.apps.registry.models import CountyRisk, Enterprise, Worker
from homeward.core import regions
from homeward.core.permits.samples import demo_signing_keys

# (final state, workers) per demo application, in creation order.
PLAN = (
    ("draft", 6),
    ("submitted", 8),
    ("submitted", 5),
    ("accepted", 10),  # open case, nothing done yet
    ("accepted_half", 9),  # transport and health done, permits awaiting signatures
    ("issued", 12),  # every task done, permits issued
    ("planned", 7),
    ("in_transit", 8),
    ("completed", 6),
    ("cancelled", 4),
)


def _user(role: Role, town_id: int | None = None) -> User | None:
    qs = User.objects.filter(profile__role=role).order_by("username")
    if town_id is not None:
        qs = qs.filter(profile__town_id=town_id)
    return qs.first()


def _transport_data(app: Any, rng: random.Random) -> dict[str, Any]:
    counties = list(app.workers.filter(active=True).values_list("pickup_county_code", flat=True))
    origin = regions.get(counties[0]) if counties else None
    province = regions.province_of(origin.code) if origin else None
    return {
        "plate": f"{'贵川豫皖赣湘'[rng.randrange(6)]}{'ABCDEF'[rng.randrange(6)]}·D{rng.randrange(10000):04d}",
        "carrier": f"{origin.name if origin else '慈溪'}汽车运输有限公司",
        "route": [origin.name if origin else "出发地", "高速公路", "杭州湾跨海大桥", "慈溪"],
        "provinces": [province.name if province else "贵州", "浙江"],
        "entry_station": f"{origin.name if origin else '出发地'}收费站",
        "exit_station": "慈溪收费站",
    }


HEALTH_DATA = {
    "medical_escort": ["随车医生 (慈溪市人民医院)"],
    "kit": [
        {"name": "医用口罩", "quantity": 200},
        {"name": "额温枪", "quantity": 2},
        {"name": "消毒液 (升)", "quantity": 5},
    ],
    "health_checks": ["登车前测温", "健康码绿码", "途中每 4 小时测温", "到达后测温"],
}


def _complete(kind: str, app: Any, actor: Any, data: dict[str, Any]) -> None:
    task = DepartmentTask.objects.get(case__application=app, kind=kind)
    services.department_task_complete(actor=actor, task_id=task.pk, data=data)


def demo_applications_load(*, seed: int = 0) -> dict[str, int]:
    """Create the demo applications; returns counts by state. Needs the demo users and city."""
    rng = random.Random(seed)
    taskforce = _user(Role.TASKFORCE)
    if taskforce is None:
        return {}
    depts = {r: _user(r) for r in (Role.DEPT_TRANSPORT, Role.DEPT_HEALTH, Role.DEPT_HR)}
    now = timezone.now().replace(microsecond=0)
    for key in demo_signing_keys(seed, now - timedelta(days=1)).values():
        keystore.install_key(key)
    high = set(CountyRisk.objects.filter(level=CountyRisk.Level.HIGH).values_list("county_code", flat=True))
    demo_enterprise = Enterprise.objects.filter(users__role=Role.ENTERPRISE).order_by("pk").first()
    pool = list(Enterprise.objects.filter(is_key=True).order_by("pk")[:50]) or list(
        Enterprise.objects.order_by("pk")[:50]
    )
    rng.shuffle(pool)
    enterprises = ([demo_enterprise] if demo_enterprise else []) + [e for e in pool if e != demo_enterprise]
    counts: dict[str, int] = {}
    for i, (target, size) in enumerate(PLAN):
        enterprise = enterprises[(i // 3) % len(enterprises)] if i < 3 else enterprises[i % len(enterprises)]
        ids = list(
            Worker.objects.filter(employer=enterprise, status=Worker.Status.AWAY, applications__isnull=True)
            .exclude(origin_code__in=high)
            .order_by("pk")
            .values_list("pk", flat=True)[: size * 3]
        )
        if not ids:
            continue
        picked = rng.sample(ids, min(size, len(ids)))
        app = services.application_create_draft(
            actor=taskforce, enterprise_id=enterprise.pk, notes=f"演示申请 demo ({target})"
        )
        services.application_workers_add_from_roster(
            actor=taskforce, application_id=app.pk, worker_ids=picked
        )
        if target == "draft" or not app.workers.filter(active=True).exists():
            counts[app.state] = counts.get(app.state, 0) + 1
            continue
        services.application_submit(
            actor=taskforce, application_id=app.pk, idempotency_key=f"demo-{seed}-{i}"
        )
        if target == "cancelled":
            services.application_cancel(actor=taskforce, application_id=app.pk, reason="企业自行安排返岗")
        elif target != "submitted":
            acceptor = _user(Role.TOWN, enterprise.town_id) or taskforce
            services.application_accept(actor=acceptor, application_id=app.pk)
            if target != "accepted":
                _complete(
                    "vehicle_route_pass",
                    app,
                    depts[Role.DEPT_TRANSPORT] or taskforce,
                    _transport_data(app, rng),
                )
                _complete("escort_kit_checks", app, depts[Role.DEPT_HEALTH] or taskforce, HEALTH_DATA)
            if target not in ("accepted", "accepted_half"):
                _complete("list_check_subsidy", app, depts[Role.DEPT_HR] or taskforce,
                          {"government_share": 50, "enterprise_share": 50, "worker_share": 0})  # fmt: skip
                _complete("landing_handover", app, _user(Role.TOWN, enterprise.town_id) or taskforce,
                          {"reception_point": "余姚北站", "contact": "镇街接站组"})  # fmt: skip
                for permit in Permit.objects.filter(application=app):
                    for role, user in depts.items():
                        if user is not None and str(_signer(role)) in permit.signer_list:
                            services.permit_sign(actor=user, permit_id=permit.pk)
                steps = {
                    "planned": ["planned"],
                    "in_transit": ["in_transit"],
                    "completed": ["in_transit", "completed"],
                }
                for to in steps.get(target, []):
                    services.application_transition(actor=taskforce, application_id=app.pk, to=to)
        app.refresh_from_db()
        counts[app.state] = counts.get(app.state, 0) + 1
    return counts


def _signer(role: Role) -> Any:
    from homeward.apps.accounts.policy import ROLE_SIGNER

    return ROLE_SIGNER[role]
