"""The fusion rules as DuckDB SQL over a snapshot's *timeline*, for the shell's queries.

A snapshot stores per-worker cells with the dates their status changes (``timeline``); the shell
asks it for any day up to ``as_of`` and protects counts per reader (``disclosure``). Those queries
are SQL, not Ibis, but their rules are the ones ``pipeline.py`` states, built here from the same
constants (``RISK_RANK``, ``TRAVEL_BLOCKING_RISK``, ``UNKNOWN_CODE``); a test holds the snapshot
queries equal to the pipeline at every level and filter (``tests/heatmap/test_rebuild.py``).

Parameters the fragments expect: ``$day``, ``$asof`` (status), ``$unknown``, ``$min_away``
(hotspot), ``$pc_base`` (suppression flags).
"""

from __future__ import annotations

from .schema import RISK_RANK, TRAVEL_BLOCKING_RISK

#: A worker's status on ``$day`` from the timeline columns (``status`` as of the snapshot,
#: ``first_return`` and ``insured_before``): the pipeline's rules 1-4 evaluated on an earlier day.
STATUS_AT_SQL = """
    CASE WHEN $day >= $asof THEN status
         WHEN first_return IS NOT NULL AND first_return <= $day THEN 'returned'
         WHEN status = 'unknown' THEN 'unknown'
         WHEN insured_before THEN 'away'
         ELSE 'unknown' END
"""


def risk_rank_sql(level: str) -> str:
    """The rank of the risk level text ``level`` (0 when not a level)."""
    whens = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in RISK_RANK.items())
    return f"(CASE {level} {whens} ELSE 0 END)"


def risk_name_sql(rank: str) -> str:
    """The risk level of the rank ``rank``; a unit with no published risk is ``low``."""
    lowest = min(RISK_RANK, key=RISK_RANK.__getitem__)
    whens = " ".join(f"WHEN {r} THEN '{name}'" for name, r in sorted(RISK_RANK.items(), key=lambda i: -i[1]))
    return f"(CASE coalesce({rank}, {RISK_RANK[lowest]}) {whens} ELSE '{lowest}' END)"


def hotspot_sql(code: str, risk: str, away: str) -> str:
    """A unit is a hotspot when it is not unknown, allows travel and has enough workers away."""
    return f"({code} <> $unknown AND {risk} <> '{TRAVEL_BLOCKING_RISK}' AND {away} >= $min_away)"


def suppressed_flags_sql(columns: tuple[str, ...]) -> str:
    """Select items: each count column, NULL where suppressed (someone there, protected value 0;
    ``disclosure.is_suppressed``), and ``suppressed``, the list of the row's suppressed columns.
    Needs ``<column>_true`` beside each column."""
    cond = {c: f"(coalesce({c}_true, 0) > 0 AND {c} < $pc_base)" for c in columns}
    items = [f"CASE WHEN {cond[c]} THEN NULL ELSE {c} END AS {c}" for c in columns]
    marks = ", ".join(f"CASE WHEN {cond[c]} THEN '{c}' END" for c in columns)
    items.append(f"list_filter([{marks}], x -> x IS NOT NULL)::VARCHAR[] AS suppressed")
    return ", ".join(items)
