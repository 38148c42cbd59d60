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
    # every distance the search reads, once: ``d[i][j]`` from point i to point j, ``s[i]`` from
    # the start, ``e[i]`` to the end (the same values as calling ``dist``, so the same path)
    d = [[dist(a, b) for b in points] for a in points]
    s = [dist(start, p) for p in points]
    e = [dist(p, end) for p in points] if end is not None else None
    left = set(range(n))
    order: list[int] = []
    here = -1
    while left:
        row = s if here < 0 else d[here]
        nxt = min(left, key=lambda i: (row[i], i))
        order.append(nxt)
        left.discard(nxt)
        here = nxt

    def length(seq: list[int]) -> float:
        total = s[seq[0]]
        for a, b in zip(seq, seq[1:], strict=False):
            total += d[a][b]
        if e is not None:
            total += e[seq[-1]]
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
