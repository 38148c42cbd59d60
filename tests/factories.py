"""factory_boy factories for the registries. IDs and USCCs are valid by construction."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from homeward.apps.registry.models import Enterprise, Town, Worker
from homeward.core.identity import ric_check_char, uscc_check_char


def make_ric(area: str, birth: dt.date, seq: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + ric_check_char(first17)


def make_uscc(n: int) -> str:
    first17 = f"913302820{n:08d}"[:17]
    return first17 + uscc_check_char(first17)


class TownFactory(DjangoModelFactory):
    class Meta:
        model = Town
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"330282{n + 1:03d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")
    kind = "镇"


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(make_uscc)
    name = factory.Sequence(lambda n: f"慈溪测试电器有限公司{n}")
    town = factory.SubFactory(TownFactory)
    industry = "家电"
    size = Enterprise.Size.SMALL


class WorkerFactory(DjangoModelFactory):
    class Meta:
        model = Worker

    # born in the 1990s whatever the sequence has reached (a long test session once made workers born
    # in 2011: too young to be on an application; ids stay distinct for 73,000 workers)
    id_number = factory.Sequence(
        lambda n: make_ric("522401", dt.date(1990, 1, 1) + dt.timedelta(days=n % 3650), n)
    )
    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    origin_code = "520502"
    birth_date = factory.LazyAttribute(
        lambda w: dt.date(int(w.id_number[6:10]), int(w.id_number[10:12]), int(w.id_number[12:14]))
    )
    employer = factory.SubFactory(EnterpriseFactory)
    status = Worker.Status.AWAY
