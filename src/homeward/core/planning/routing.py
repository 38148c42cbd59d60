"""Small routing helpers: order a bus's pickups and drops (open paths, a handful of points)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from homeward.core.planning.model import Point


def order_open_path(
    start: Point,
    points: Sequence[Point],
    dist: Callable[[Point, Point], float],
    end: Point | None = None,
) -> list[int]:
    """Indices of ``points`` in a short open path from ``start`` (nearest neighbour, then 2-opt).
    With ``end``, the path's length includes the last leg to ``end`` (e.g. the pickups of a bus
    then the long haul to the factories), so the path finishes on the side of ``end``."""
    n = len(points)
    if n <= 1:
        return list(range(n))
    left = set(range(n))
    order: list[int] = []
    here = start
    while left:
        nxt = min(left, key=lambda i: (dist(here, points[i]), i))
        order.append(nxt)
        left.discard(nxt)
        here = points[nxt]

    def length(seq: list[int]) -> float:
        total = dist(start, points[seq[0]])
        for a, b in zip(seq, seq[1:], strict=False):
            total += dist(points[a], points[b])
        if end is not None:
            total += dist(points[seq[-1]], end)
        return total

    best = length(order)
    improved = True
    rounds = 0
    while improved and rounds < 50:
        improved = False
        rounds += 1
        for i in range(n - 1):
            for j in range(i + 1, n):
                cand = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                c = length(cand)
                if c < best - 1e-9:
                    order, best, improved = cand, c, True
    return order
