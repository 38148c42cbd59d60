"""The mutual-recognition rule of ``core.recognition``: what a recognised status must hold, and that
the test window only ever closes as time passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from homeward.core import recognition as r

T0 = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)
RULES = r.RecognitionRules(test_max_age_hours=168)

facts = st.builds(
    r.HealthFacts,
    health_code=st.sampled_from(["green", "yellow", "red", ""]),
    province=st.sampled_from(["52", "34", "41", "42"]),
    verified=st.booleans(),
    test_result=st.sampled_from(r.TEST_RESULTS),
    tested_at=st.one_of(st.none(), st.integers(-400, 10).map(lambda h: T0 + timedelta(hours=h))),
)
rules = st.builds(
    r.RecognitionRules,
    accepted_provinces=st.frozensets(st.sampled_from(["52", "34", "41"])),
    require_test=st.booleans(),
    test_max_age_hours=st.integers(0, 400),
)


def green(**kw: object) -> r.HealthFacts:
    values: dict[str, object] = {
        "health_code": "green", "province": "52", "verified": True, "test_result": "negative",
        "tested_at": T0 - timedelta(hours=24),
    } | kw  # fmt: skip
    return r.HealthFacts(**values)  # type: ignore[arg-type]


def test_each_reason_in_its_order() -> None:
    assert r.recognise(green(), RULES, T0) == r.Recognition(True, "")
    assert r.recognise(None, RULES, T0).reason == "no_status"
    assert r.recognise(green(verified=False, health_code="red"), RULES, T0).reason == "unverified"
    only_anhui = r.RecognitionRules(accepted_provinces=frozenset({"34"}))
    assert r.recognise(green(), only_anhui, T0).reason == "province_not_accepted"
    assert r.recognise(green(health_code="yellow"), RULES, T0).reason == "code_not_green"
    assert r.recognise(green(test_result="positive"), RULES, T0).reason == "test_positive"
    assert r.recognise(green(test_result="pending"), RULES, T0).reason == "test_missing"
    assert r.recognise(green(tested_at=T0 + timedelta(hours=1)), RULES, T0).reason == "test_missing"
    assert r.recognise(green(tested_at=T0 - timedelta(hours=169)), RULES, T0).reason == "test_stale"
    assert r.recognise(green(tested_at=T0 - timedelta(hours=168)), RULES, T0).recognised


def test_without_a_required_test_a_verified_green_code_is_enough_but_positive_never_is() -> None:
    lenient = r.RecognitionRules(require_test=False)
    assert r.recognise(green(test_result="", tested_at=None), lenient, T0).recognised
    assert r.recognise(green(test_result="positive"), lenient, T0).reason == "test_positive"


@given(facts, rules)
def test_a_recognised_status_is_verified_green_accepted_and_not_positive(
    f: r.HealthFacts, rl: r.RecognitionRules
) -> None:
    got = r.recognise(f, rl, T0)
    assert got.recognised == (got.reason == "")
    assert got.reason in ("", *r.REASONS)
    if got.recognised:
        assert f.verified and f.health_code == "green" and f.test_result != "positive"
        assert rl.accepts(f.province)
        if rl.require_test:
            assert f.tested_at is not None and T0 - f.tested_at <= timedelta(hours=rl.test_max_age_hours)


@given(facts, rules, st.integers(0, 500))
def test_a_status_recognised_later_was_recognised_earlier_after_its_test(
    f: r.HealthFacts, rl: r.RecognitionRules, hours: int
) -> None:
    """The window only closes: recognised at ``T0 + hours`` means recognised at ``T0`` too, once
    the test was taken by then."""
    later = T0 + timedelta(hours=hours)
    if r.recognise(f, rl, later).recognised and (f.tested_at is None or f.tested_at <= T0):
        assert r.recognise(f, rl, T0).recognised


@given(facts, rules)
def test_accepting_more_provinces_or_a_longer_window_never_withdraws_recognition(
    f: r.HealthFacts, rl: r.RecognitionRules
) -> None:
    if r.recognise(f, rl, T0).recognised:
        wider = r.RecognitionRules(
            accepted_provinces=frozenset() if not rl.accepted_provinces else rl.accepted_provinces | {"42"},
            require_test=rl.require_test,
            test_max_age_hours=rl.test_max_age_hours + 24,
        )
        assert r.recognise(f, wider, T0).recognised
