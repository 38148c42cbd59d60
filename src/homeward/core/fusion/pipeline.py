"""The fusion pipeline, written once as Ibis expressions; runs on DuckDB (embedded) or PySpark.

Rules (the pandas baseline in ``baseline.py`` implements the same ones; keep them in step):

Status of a worker as of ``as_of`` (evidence counts only inside ``[window_start, as_of]``):
1. a police arrival in the window → ``returned``, source ``police``, date = latest arrival;
2. else the latest return intention in the window (ties on a date: returned > will_return > away,
   then the larger county code) → ``returned`` if it says returned, ``away`` if away/will_return;
   source ``intention``, date = the intention's date;
3. else insured since before or on ``window_start`` (or no date known) → ``away``, source ``roster``
   (on the roster, never seen arriving), date = ``insured_since``;
4. else (insured only after the window opened: likely hired locally, never travelled) → ``unknown``,
   source ``roster``, date = ``insured_since``.
Origin = ``declared_code`` if present, else the county of the latest intention, else ``origin_code``;
an origin that is not a current region counts under ``UNKNOWN_CODE`` at every level.

Carrier estimate of a county = its count on the latest carrier date ``<= as_of`` (per county); of a
prefecture or province = the sum over its counties. Risk of a county = its published level, ``low``
when not listed; of a prefecture or province = the worst level of its counties. Travel is allowed from
a unit unless its risk is ``high`` (i.e. unless one of its counties is high). A unit is a hotspot when
it is not unknown, allows travel and has at least ``hotspot_min_away`` workers away.

Cross-check per county: roster away vs carrier count; ``ratio`` = max/min (null when either is 0 or
there is no carrier figure); flagged when ratio > ``disagreement_ratio``, or when exactly one of the
two is 0. Counties without a carrier figure are not flagged (no evidence either way).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis.expr import types as ir

from .province import ParquetInputs
from .schema import (
    INTENTION_RANK,
    LEVEL_KEY,
    NO_FILTERS,
    REGION_UNIT_KEY,
    RISK_RANK,
    SORT_KEYS,
    TRAVEL_BLOCKING_RISK,
    UNKNOWN_CODE,
    UNKNOWN_NAME,
    FusionInputs,
    FusionParams,
    Level,
    OriginFilters,
)


def _rank_of(value: ir.StringValue, ranks: dict[str, int]) -> ir.IntegerValue:
    branches = [(value == k, ibis.literal(v, "int64")) for k, v in ranks.items()]
    out: ir.IntegerValue = ibis.cases(*branches, else_=ibis.literal(0, "int64"))
    return out


def _risk_name(rank: ir.IntegerValue) -> ir.StringValue:
    ranked = sorted(RISK_RANK.items(), key=lambda item: -item[1])
    out: ir.StringValue = ibis.cases(*((rank == r, name) for name, r in ranked[:-1]), else_=ranked[-1][0])
    return out


# ------------------------------------------------------------------------------------------ expressions


def status_expr(
    roster: ir.Table, police: ir.Table, intentions: ir.Table, params: FusionParams, *, dates: bool = True
) -> ir.Table:
    """Per-worker status and origin code (see the module docstring); with ``dates`` also the
    worker's key and ID, the source and the date of the status. Without ``dates`` a police arrival
    is a semi-join (``IN``) on the arrivals in the window instead of a group-by of the arrivals by
    ID joined back (the latest date is only needed for ``status_date``): the same rule, a fraction of
    the work at province scale."""
    ws, asof = ibis.literal(params.window_start), ibis.literal(params.as_of)
    arrived = police.filter(police.arrived_on.between(ws, asof))
    it = intentions.filter(intentions.date.between(ws, asof)).mutate(
        i_rank=_rank_of(intentions.state, INTENTION_RANK), i_county_key=intentions.county_code.fill_null("")
    )
    order = [ibis.desc(it.date), ibis.desc(it.i_rank), ibis.desc(it.i_county_key)]
    latest = (
        it.mutate(i_row=ibis.row_number().over(group_by=it.id_number, order_by=order))
        .filter(lambda t: t.i_row == 0)
        .select(i_id="id_number", i_date="date", i_state="state", i_county="county_code")
    )
    if dates:
        arrivals = arrived.group_by(p_id=arrived.id_number).agg(police_date=arrived.arrived_on.max())
        w = roster.left_join(arrivals, roster.id_number == arrivals.p_id).left_join(
            latest, roster.id_number == latest.i_id
        )
        has_police = w.police_date.notnull()
    else:
        r = roster.mutate(has_police=roster.id_number.isin(arrived.id_number))
        w = r.left_join(latest, r.id_number == latest.i_id)
        has_police = w.has_police
    insured_before = w.insured_since.isnull() | (w.insured_since <= ws)
    intent_back = w.i_state == "returned"
    intent_away = w.i_state.isin(["away", "will_return"])
    status = ibis.cases(
        (has_police, "returned"),
        (intent_back, "returned"),
        (intent_away, "away"),
        (insured_before, "away"),
        else_="unknown",
    )
    columns: dict[str, ir.Value] = {
        "origin_code": ibis.coalesce(w.declared_code, w.i_county, w.origin_code),
        "enterprise_id": w.enterprise_id,
        "town_code": w.town_code,
        "is_key": w.is_key,
        "status": status,
    }
    if not dates:
        return w.select(**columns)
    return w.select(
        "worker_key",
        "id_number",
        **columns,
        source=ibis.cases((has_police, "police"), (w.i_state.notnull(), "intention"), else_="roster"),
        status_date=ibis.cases(
            (has_police, w.police_date), (w.i_state.notnull(), w.i_date), else_=w.insured_since
        ),
    )


def with_units(t: ir.Table, regions: ir.Table) -> ir.Table:
    """``t`` with the origin's units (``county_code``, ``prefecture_code``, ``province_code``) from its
    ``origin_code``: an origin that is not a current region counts under ``UNKNOWN_CODE`` at every level."""
    t = t.view()  # end any join chain: the join keys on a computed column
    units = regions.select(r_code="code", r_pref="prefecture_code", r_prov="province_code")
    j = t.left_join(units, t.origin_code == units.r_code)
    unknown = ibis.literal(UNKNOWN_CODE)
    return j.select(
        *t.columns,
        county_code=ibis.ifelse(j.r_code.isnull(), unknown, j.origin_code),
        prefecture_code=j.r_pref.fill_null(unknown),
        province_code=j.r_prov.fill_null(unknown),
    )


def workers_expr(
    roster: ir.Table, police: ir.Table, intentions: ir.Table, regions: ir.Table, params: FusionParams
) -> ir.Table:
    """Per-worker status, source, date and origin units (see the module docstring)."""
    return with_units(status_expr(roster, police, intentions, params), regions).select(
        "worker_key",
        "id_number",
        "origin_code",
        "county_code",
        "prefecture_code",
        "province_code",
        "enterprise_id",
        "town_code",
        "is_key",
        "status",
        "source",
        "status_date",
    )


#: The keys of the status counts that every aggregate sums (``cube_expr``).
CUBE_KEYS = ("origin_code", "town_code", "enterprise_id", "is_key")


def cube_expr(status: ir.Table, regions: ir.Table) -> ir.Table:
    """Worker counts per origin × town × enterprise × key flag (``roster`` and one per status), with
    the origin's units: every aggregate (origins, cells, cross-check, shortfall) is a sum over it, so
    the per-worker rows are grouped once and never need to be kept. ``status`` is the per-worker
    status (``status_expr``, or the per-worker table)."""
    s = status
    g = s.group_by(*CUBE_KEYS).agg(roster=s.count(), **_counts(s))
    return with_units(g, regions)


def _counts(t: ir.Table) -> dict[str, ir.IntegerScalar]:
    """Workers per status, over per-worker rows."""
    return {
        "away": t.status.count(where=t.status == "away"),
        "returned": t.status.count(where=t.status == "returned"),
        "unknown": t.status.count(where=t.status == "unknown"),
    }


def _sums(cube: ir.Table) -> dict[str, ir.IntegerScalar]:
    """Workers per status, over rows of the cube (``cube_expr``)."""
    return {name: cube[name].sum().cast("int64") for name in ("away", "returned", "unknown")}


def carrier_latest_expr(carrier: ir.Table, regions: ir.Table, params: FusionParams) -> ir.Table:
    """Per county unit: the count on its latest date <= as_of (``c_code``, ``c_count``, ``c_date``)."""
    c = carrier.filter(carrier.date <= ibis.literal(params.as_of))
    c = c.mutate(c_row=ibis.row_number().over(group_by=c.county_code, order_by=ibis.desc(c.date)))
    c = c.filter(c.c_row == 0)
    units = regions.select(r_code="code")
    j = c.left_join(units, c.county_code == units.r_code)
    j = j.mutate(c_code=ibis.ifelse(j.r_code.isnull(), ibis.literal(UNKNOWN_CODE), j.county_code))
    return j.group_by("c_code").agg(c_count=j["count"].sum(), c_date=j.date.max())


def _unit_map(regions: ir.Table, level: Level) -> ir.Table:
    """county-level unit code → code of its unit at ``level`` (``m_from``, ``m_to``)."""
    return regions.select(m_from="code", m_to=regions[REGION_UNIT_KEY[level]])


def risk_expr(risk: ir.Table, regions: ir.Table, level: Level) -> ir.Table:
    """Worst published risk rank per unit of ``level`` (``k_code``, ``k_rank``)."""
    r = risk.mutate(k_rank=_rank_of(risk.level, RISK_RANK))
    m = _unit_map(regions, level)
    j = r.inner_join(m, r.county_code == m.m_from)
    return j.group_by(k_code=j.m_to).agg(k_rank=j.k_rank.max())


def origins_expr(
    cube: ir.Table,
    carrier_latest: ir.Table,
    risk: ir.Table,
    regions: ir.Table,
    params: FusionParams,
    level: Level,
    filters: OriginFilters = NO_FILTERS,
) -> ir.Table:
    """The origin table at one level (``ORIGINS_SCHEMA``), optionally filtered; from the status counts
    (``cube_expr``)."""
    w = cube
    if filters.town is not None:
        w = w.filter(w.town_code == filters.town)
    if filters.enterprise is not None:
        w = w.filter(w.enterprise_id == filters.enterprise)
    key = LEVEL_KEY[level]
    agg = w.group_by(code=w[key]).agg(**_sums(w))
    if not filters.by_workplace:
        m = _unit_map(regions, level)
        cj = carrier_latest.left_join(m, carrier_latest.c_code == m.m_from)
        car = cj.group_by(c_unit=cj.m_to.fill_null(UNKNOWN_CODE)).agg(carrier_estimate=cj.c_count.sum())
        o = agg.outer_join(car, agg.code == car.c_unit)
        o = o.select(
            code=ibis.coalesce(o.code, o.c_unit),
            away=o.away.fill_null(0),
            returned=o.returned.fill_null(0),
            unknown=o.unknown.fill_null(0),
            carrier_estimate=o.carrier_estimate,
        )
    else:
        o = agg.mutate(carrier_estimate=ibis.null("int64"))
    o = o.view()  # a join keyed on a column computed over a join needs a fresh relation
    if filters.province is not None:
        prov = regions.select(pv_code="code", pv_prov="province_code")
        pj = o.left_join(prov, o.code == prov.pv_code)
        o = pj.filter(pj.pv_prov == filters.province).drop("pv_code", "pv_prov")
    rk = risk_expr(risk, regions, level)
    names = regions.select(n_code="code", n_name="name")
    o = o.view()
    j = o.left_join(rk, o.code == rk.k_code).left_join(names, o.code == names.n_code)
    risk_level = _risk_name(j.k_rank.fill_null(1))
    out = j.select(
        code=j.code,
        name=j.n_name.fill_null(UNKNOWN_NAME),
        level=ibis.literal(level),
        away=j.away.cast("int64"),
        returned=j.returned.cast("int64"),
        unknown=j.unknown.cast("int64"),
        carrier_estimate=j.carrier_estimate.cast("int64"),
        risk=risk_level,
        hotspot=(j.code != UNKNOWN_CODE)
        & (risk_level != TRAVEL_BLOCKING_RISK)
        & (j.away >= params.hotspot_min_away),
    )
    if filters.risk:
        out = out.filter(out.risk.isin(list(filters.risk)))
    return out


def cells_expr(cube: ir.Table, level: Level) -> ir.Table:
    """Origin unit × town × enterprise counts (``CELLS_SCHEMA``), from the status counts."""
    w = cube
    return w.group_by(code=w[LEVEL_KEY[level]], town_code=w.town_code, enterprise_id=w.enterprise_id).agg(
        **_sums(w)
    )


def cross_check_expr(
    cube: ir.Table, carrier_latest: ir.Table, regions: ir.Table, params: FusionParams
) -> ir.Table:
    """Roster away vs carrier count per county (counties with a worker away or a carrier figure)."""
    a = cube.filter(cube.away > 0)
    away = a.group_by(a_code=a.county_code).agg(roster_away=a.away.sum().cast("int64"))
    o = away.outer_join(carrier_latest, away.a_code == carrier_latest.c_code)
    names = regions.select(n_code="code", n_name="name")
    o = o.select(
        code=ibis.coalesce(o.a_code, o.c_code),
        roster_away=o.roster_away.fill_null(0).cast("int64"),
        carrier_count=o.c_count.cast("int64"),
        carrier_date=o.c_date,
    )
    o = o.view()
    j = o.left_join(names, o.code == names.n_code)
    # greatest/least skip nulls on some engines: compare against 0 and null the ratio explicitly
    cc = j.carrier_count.fill_null(0)
    hi = ibis.greatest(j.roster_away, cc)
    lo = ibis.least(j.roster_away, cc)
    ratio = ibis.ifelse(
        j.carrier_count.notnull() & (lo > 0), hi.cast("float64") / lo.cast("float64"), ibis.null("float64")
    )
    flagged = ibis.ifelse(
        j.carrier_count.isnull(),
        False,
        ibis.ifelse(lo == 0, hi > 0, ratio > params.disagreement_ratio),
    )
    return j.select(
        "code",
        name=j.n_name.fill_null(UNKNOWN_NAME),
        roster_away=j.roster_away,
        carrier_count=j.carrier_count,
        carrier_date=j.carrier_date,
        ratio=ratio,
        flagged=flagged,
    )


def _shortfall_counts(c: ir.Table) -> dict[str, ir.IntegerScalar]:
    """roster, back (= returned), away, unknown: sums over rows with the cube's count columns."""
    counts = _sums(c)
    return {"roster": c.roster.sum().cast("int64"), "back": counts.pop("returned"), **counts}


_ENTERPRISE_KEYS = ("enterprise_id", "town_code", "is_key")


def enterprise_shortfall_expr(cube: ir.Table) -> ir.Table:
    g = cube.group_by(*_ENTERPRISE_KEYS).agg(**_shortfall_counts(cube))
    return g.mutate(share_back=g.back.cast("float64") / g.roster.cast("float64"))


def town_shortfall_expr(cube: ir.Table) -> ir.Table:
    """Per town: its enterprises (distinct, and key ones) and counts; the distinct counts run over the
    counts per enterprise × town × key flag (~1 row per enterprise) instead of one row per worker."""
    e = cube.group_by(*_ENTERPRISE_KEYS).agg(roster=cube.roster.sum(), **_sums(cube))
    g = e.group_by("town_code").agg(
        enterprises=e.enterprise_id.nunique(),
        key_enterprises=e.enterprise_id.nunique(where=e.is_key),
        **_shortfall_counts(e),
    )
    return g.mutate(share_back=g.back.cast("float64") / g.roster.cast("float64"))


# --------------------------------------------------------------------------------------------- engines


def _load_duckdb(backend: Any, name: str, table: pa.Table) -> ir.Table:
    backend.con.register(name, table)  # zero-copy Arrow scan
    t: ir.Table = backend.table(name)
    return t


def _load_pyspark(backend: Any, name: str, table: pa.Table) -> ir.Table:
    session = backend._session
    df = session.createDataFrame(table.to_pandas(types_mapper=None))
    df.createOrReplaceTempView(name)
    t: ir.Table = backend.table(name)
    return t


def _load_parquet(backend: Any, name: str, path: Path) -> ir.Table:
    """A view over a Parquet file: the engine scans it from disk, nothing is read into Python."""
    t: ir.Table = backend.read_parquet(str(path), table_name=name)
    return t


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Resource bounds of an engine. DuckDB: ``memory_limit`` (e.g. "3GB") caps its buffer manager
    and ``temp_directory`` is where it spills beyond that (out of core); ``threads``. Spark:
    ``memory_limit`` is the driver's JVM heap, ``temp_directory`` its local (shuffle/spill) dir,
    ``shuffle_partitions`` the partitions of a shuffle (more for more rows)."""

    memory_limit: str | None = None
    temp_directory: str | None = None
    threads: int | None = None
    shuffle_partitions: int | None = None


NO_OPTIONS = EngineOptions()


def duckdb_backend(threads: int | None = None, options: EngineOptions = NO_OPTIONS) -> Any:
    config: dict[str, Any] = {}
    if threads or options.threads:
        config["threads"] = threads or options.threads
    if options.memory_limit:
        config["memory_limit"] = options.memory_limit
    if options.temp_directory:
        config["temp_directory"] = options.temp_directory
        # Big joins and aggregates may spill; keeping insertion order is not needed (outputs sorted).
        config["preserve_insertion_order"] = False
    backend = ibis.duckdb.connect(**config)
    backend.con.execute("SET enable_progress_bar = false")  # province-scale queries run for seconds
    return backend


_SPARK: dict[str, Any] = {}


def spark_backend(options: EngineOptions = NO_OPTIONS) -> Any:
    """A local PySpark backend (one per process: the first call's options hold). Needs Java 17 and
    the pyspark package."""
    if "backend" not in _SPARK:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        warehouse = tempfile.mkdtemp(prefix="homeward-spark-")
        builder = (
            SparkSession.builder.master(f"local[{options.threads or 2}]")
            .appName("homeward-fusion")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", warehouse)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(options.shuffle_partitions or 4))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", _spark_memory(options.memory_limit or "2g"))
        )
        if options.temp_directory:
            builder = builder.config("spark.local.dir", options.temp_directory)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _SPARK["backend"] = ibis.pyspark.connect(session)
    return _SPARK["backend"]


def _spark_memory(limit: str) -> str:
    """ "3GB" (DuckDB's spelling) → "3g" (the JVM's)."""
    return limit.lower().replace("ib", "").replace("b", "").replace(" ", "")


class IbisFusion:
    """The fusion bound to one backend: inputs loaded once, the status counts (``cube_expr``)
    materialised once; every aggregate (origin table at a level with filters, cells, cross-check,
    shortfall) is a sum over them.

    Inputs are Arrow tables (:class:`FusionInputs`, scanned in place by DuckDB) or Parquet files
    (:class:`~homeward.core.fusion.province.ParquetInputs`, scanned from disk: province scale).
    ``per_worker=True`` also materialises the per-worker table (``workers_table()``) and groups it;
    ``per_worker=False`` groups the per-worker status straight into the counts, never materialising
    it (nor the police arrivals' dates): same aggregates, a fraction of the work and memory.

    The cells come back sorted by the engine (``SORT_KEYS``; listed in ``sorted_outputs``): the
    largest output, sorted in parallel instead of in Arrow afterwards."""

    sorted_outputs = frozenset({"cells"})

    def __init__(
        self,
        inputs: FusionInputs | ParquetInputs,
        params: FusionParams,
        engine: str = "duckdb",
        options: EngineOptions = NO_OPTIONS,
        *,
        per_worker: bool = True,
    ) -> None:
        self.params = params
        self.engine = engine
        loader: Callable[[Any, str, pa.Table], ir.Table]
        if engine == "duckdb":
            self.backend = duckdb_backend(options=options)
            loader = _load_duckdb
        elif engine == "pyspark":
            self.backend = spark_backend(options)
            loader = _load_pyspark
        else:
            raise ValueError(f"unknown ibis engine {engine!r}")
        tag = uuid.uuid4().hex[:8]
        t: dict[str, ir.Table] = {}
        for name in ("roster", "police", "carrier", "risk", "intentions", "regions"):
            if isinstance(inputs, ParquetInputs) and name != "regions":
                t[name] = _load_parquet(self.backend, f"hw_{name}_{tag}", inputs.path(name))
            else:
                t[name] = loader(self.backend, f"hw_{name}_{tag}", getattr(inputs, name))
        self.regions = t["regions"]
        self.risk = t["risk"]
        self.per_worker = per_worker
        status: ir.Table
        if per_worker:
            self.workers = workers_expr(
                t["roster"], t["police"], t["intentions"], t["regions"], params
            ).cache()
            status = self.workers.select(*CUBE_KEYS, "status")
        else:
            status = status_expr(t["roster"], t["police"], t["intentions"], params, dates=False)
        self.cube = cube_expr(status, t["regions"]).cache()
        self.carrier_latest = carrier_latest_expr(t["carrier"], t["regions"], params).cache()

    def _arrow(self, expr: ir.Table) -> pa.Table:
        return self.backend.to_pyarrow(expr)

    def workers_table(self) -> pa.Table:
        if not self.per_worker:
            raise ValueError("opened for aggregates only (per_worker=False): no per-worker table")
        return self._arrow(self.workers)

    def origins(self, level: Level, filters: OriginFilters = NO_FILTERS) -> pa.Table:
        return self._arrow(
            origins_expr(self.cube, self.carrier_latest, self.risk, self.regions, self.params, level, filters)
        )

    def cells(self, level: Level) -> pa.Table:
        order = [ibis.asc(k) if how == "ascending" else ibis.desc(k) for k, how in SORT_KEYS["cells"]]
        expr = cells_expr(self.cube, level).order_by(order)
        if self.engine != "duckdb":
            return self._arrow(expr)
        # DuckDB 1.4's parallel sort reserves ~2.6 GB of address space to merge the province's 5M
        # cells (not resident) and crashes under an RLIMIT_AS cap (the province bench's); sorted on
        # one thread it reserves none and costs about the same CPU (measured: docs/benchmarks.md).
        con = self.backend.con
        threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
        con.execute("SET threads = 1")
        try:
            return self._arrow(expr)
        finally:
            con.execute(f"SET threads = {threads}")

    def cross_check(self) -> pa.Table:
        return self._arrow(cross_check_expr(self.cube, self.carrier_latest, self.regions, self.params))

    def enterprise_shortfall(self) -> pa.Table:
        return self._arrow(enterprise_shortfall_expr(self.cube))

    def town_shortfall(self) -> pa.Table:
        return self._arrow(town_shortfall_expr(self.cube))
