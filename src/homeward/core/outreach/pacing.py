"""A channel's rate limit as a pace between batches."""

from __future__ import annotations


def batch_size_for(per_minute: int, wanted: int) -> int:
    """At most ``wanted`` letters a batch, and no more than a rate-limited channel takes in a minute."""
    return max(1, min(wanted, per_minute)) if per_minute > 0 else max(1, wanted)


def wait_before_next(per_minute: int, sent: int, elapsed: float) -> float:
    """Seconds to wait after ``sent`` letters in ``elapsed`` seconds so that the channel never gets
    more than ``per_minute`` letters in any minute on average (0 when unlimited or behind pace)."""
    if per_minute <= 0 or sent <= 0:
        return 0.0
    return max(0.0, sent * 60.0 / per_minute - elapsed)
