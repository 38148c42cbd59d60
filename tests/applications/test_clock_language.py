"""The application's clock says why it is at risk in the reader's language (the planner writes the
reason in both: ``计划 #8: 1 人预计超时到达，最多 3.8 小时 (late, up to 3.8 h)``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

REASON = "计划 #8: 1 人预计超时到达，最多 3.8 小时 (late, up to 3.8 h)"


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("zh-hans", "最多 3.8 小时", "late"), ("en", "Late, up to 3.8 h", "小时")],  # shown alone: a sentence
)
def test_the_at_risk_reason_is_in_the_readers_language(language, shown, hidden):
    app = SimpleNamespace(pk=1, at_risk_reason=REASON, deadline_hours=30)
    clock = SimpleNamespace(at_risk=True, level="stopped", deadline_at=None)
    with translation.override(language):
        html = render_to_string("applications/_clock.html", {"app": app, "clock": clock})
    assert shown in html and hidden not in html.split("at-risk", 1)[1]
