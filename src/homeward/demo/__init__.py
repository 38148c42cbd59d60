"""The synthetic city behind ``homeward demo``.

``generate`` is pure Python and Django-free (``generate_city(scale, seed) -> DemoCity``); ``load`` puts
a generated city into the database through the real import services.
"""

from __future__ import annotations

from homeward.demo.generate import SCALES, DemoCity, DemoEnterprise, DemoTown, DemoTruth, Scale, generate_city

__all__ = ["SCALES", "DemoCity", "DemoEnterprise", "DemoTown", "DemoTruth", "Scale", "generate_city"]
