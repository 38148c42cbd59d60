"""The same fusion in plain pandas: the benchmark baseline and the reference the engines are tested
against. Rules: see ``pipeline.py``'s docstring; this file must implement exactly the same ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .schema import (
    INTENTION_RANK,
    LEVEL_KEY,
    NO_FILTERS,
    REGION_UNIT_KEY,
    RISK_NAME,
    RISK_RANK,
    TRAVEL_BLOCKING_RISK,
    UNKNOWN_CODE,
    UNKNOWN_NAME,
    FusionInputs,
    FusionParams,
    Level,
    OriginFilters,
)


def _df(table: pa.Table) -> pd.DataFrame:
    # Dates as datetime64 (comparable, fast); strings as pandas' string dtype.
    df: pd.DataFrame = table.to_pandas(date_as_object=False)
    return df


def _counts(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    status = df["status"]
    tmp = pd.DataFrame(
        {
            **{k: df[k] for k in keys},
            "away": (status == "away").astype("int64"),
            "returned": (status == "returned").astype("int64"),
            "unknown": (status == "unknown").astype("int64"),
        }
    )
    out: pd.DataFrame = tmp.groupby(keys, sort=False, dropna=False).sum().reset_index()
    return out


class PandasFusion:
    sorted_outputs: frozenset[str] = frozenset()  # ``normalized`` sorts every output

    def __init__(self, inputs: FusionInputs, params: FusionParams) -> None:
        self.params = params
        ws = pd.Timestamp(params.window_start)
        asof = pd.Timestamp(params.as_of)
        regions = _df(inputs.regions)
        self.regions = regions
        self.risk = _df(inputs.risk)
        roster = _df(inputs.roster)
        police = _df(inputs.police)
        intentions = _df(inputs.intentions)
        carrier = _df(inputs.carrier)

        p = police[(police["arrived_on"] >= ws) & (police["arrived_on"] <= asof)]
        arrivals = p.groupby("id_number", sort=False)["arrived_on"].max().rename("police_date")

        it = intentions[(intentions["date"] >= ws) & (intentions["date"] <= asof)].copy()
        it["i_rank"] = it["state"].map(INTENTION_RANK).fillna(0).astype("int64")
        it["i_county_key"] = it["county_code"].fillna("")
        it = it.sort_values(["id_number", "date", "i_rank", "i_county_key"], ascending=False)
        latest = it.drop_duplicates("id_number").set_index("id_number")[["date", "state", "county_code"]]
        latest.columns = pd.Index(["i_date", "i_state", "i_county"])

        w = roster.join(arrivals, on="id_number").join(latest, on="id_number")
        has_police = w["police_date"].notna().to_numpy()
        has_intent = w["i_state"].notna().to_numpy()
        state = w["i_state"].fillna("").to_numpy()
        insured = w["insured_since"]
        insured_before = (insured.isna() | (insured <= ws)).to_numpy()
        status = np.select(
            [has_police, state == "returned", np.isin(state, ["away", "will_return"]), insured_before],
            ["returned", "returned", "away", "away"],
            default="unknown",
        )
        source = np.select([has_police, has_intent], ["police", "intention"], default="roster")
        status_date = w["police_date"].where(has_police, w["i_date"].where(has_intent, insured))
        origin = w["declared_code"].fillna(w["i_county"]).fillna(w["origin_code"])

        units = regions.set_index("code")[["prefecture_code", "province_code"]]
        known = origin.isin(units.index)
        u = units.reindex(origin.to_numpy())
        self.workers = pd.DataFrame(
            {
                "worker_key": w["worker_key"].to_numpy(),
                "id_number": w["id_number"].to_numpy(),
                "origin_code": origin.to_numpy(),
                "county_code": np.where(known.to_numpy(), origin.to_numpy(), UNKNOWN_CODE),
                "prefecture_code": u["prefecture_code"].fillna(UNKNOWN_CODE).to_numpy(),
                "province_code": u["province_code"].fillna(UNKNOWN_CODE).to_numpy(),
                "enterprise_id": w["enterprise_id"].to_numpy(),
                "town_code": w["town_code"].to_numpy(),
                "is_key": w["is_key"].to_numpy(),
                "status": status,
                "source": source,
                "status_date": status_date.to_numpy(),
            }
        )

        c = carrier[carrier["date"] <= asof].sort_values(["county_code", "date"], ascending=False)
        c = c.drop_duplicates("county_code")
        c_code = c["county_code"].where(c["county_code"].isin(units.index), UNKNOWN_CODE)
        self.carrier_latest = (
            pd.DataFrame({"c_code": c_code, "c_count": c["count"], "c_date": c["date"]})
            .groupby("c_code", sort=False)
            .agg(c_count=("c_count", "sum"), c_date=("c_date", "max"))
        )

    def _unit_map(self, level: Level) -> pd.Series:
        r = self.regions
        m = pd.Series(r[REGION_UNIT_KEY[level]].to_numpy(), index=r["code"].to_numpy())
        return m

    def _risk(self, level: Level) -> pd.Series:
        r = self.risk
        rank = r["level"].map(RISK_RANK).fillna(0).astype("int64")
        m = self._unit_map(level)
        unit = r["county_code"].map(m)
        ok = unit.notna()
        out: pd.Series = pd.Series(rank[ok].to_numpy(), index=unit[ok].to_numpy()).groupby(level=0).max()
        return out

    def workers_table(self) -> pa.Table:
        return pa.Table.from_pandas(self.workers, preserve_index=False)

    def origins(self, level: Level, filters: OriginFilters = NO_FILTERS) -> pa.Table:
        w = self.workers
        if filters.town is not None:
            w = w[w["town_code"] == filters.town]
        if filters.enterprise is not None:
            w = w[w["enterprise_id"] == filters.enterprise]
        key = LEVEL_KEY[level]
        agg = _counts(w, [key]).rename(columns={key: "code"}).set_index("code")
        if not filters.by_workplace:
            m = self._unit_map(level)
            cl = self.carrier_latest
            unit = pd.Series(cl.index.to_numpy(), index=cl.index).map(m)
            unit = unit.where(cl.index.to_series() != UNKNOWN_CODE, UNKNOWN_CODE)
            car = cl["c_count"].groupby(unit.to_numpy()).sum().rename("carrier_estimate")
            o = agg.join(car, how="outer")
            for col in ("away", "returned", "unknown"):
                o[col] = o[col].fillna(0).astype("int64")
            o["carrier_estimate"] = o["carrier_estimate"].astype("Int64")
        else:
            o = agg
            o["carrier_estimate"] = pd.array([None] * len(o), dtype="Int64")
        o.index.name = "code"
        o = o.reset_index()
        if filters.province is not None:
            prov = self.regions.set_index("code")["province_code"]
            o = o[o["code"].map(prov) == filters.province]
        rank = o["code"].map(self._risk(level)).fillna(1).astype("int64")
        risk = rank.map(RISK_NAME)
        names = self.regions.set_index("code")["name"]
        out = pd.DataFrame(
            {
                "code": o["code"].to_numpy(),
                "name": o["code"].map(names).fillna(UNKNOWN_NAME).to_numpy(),
                "level": level,
                "away": o["away"].to_numpy(),
                "returned": o["returned"].to_numpy(),
                "unknown": o["unknown"].to_numpy(),
                "carrier_estimate": o["carrier_estimate"].array,
                "risk": risk.to_numpy(),
                "hotspot": (
                    (o["code"] != UNKNOWN_CODE)
                    & (risk != TRAVEL_BLOCKING_RISK)
                    & (o["away"] >= self.params.hotspot_min_away)
                ).to_numpy(),
            }
        )
        if filters.risk:
            out = out[out["risk"].isin(list(filters.risk))]
        return pa.Table.from_pandas(out, preserve_index=False)

    def cells(self, level: Level) -> pa.Table:
        w = self.workers
        key = LEVEL_KEY[level]
        out = _counts(w, [key, "town_code", "enterprise_id"]).rename(columns={key: "code"})
        return pa.Table.from_pandas(out, preserve_index=False)

    def cross_check(self) -> pa.Table:
        w = self.workers
        away = w.loc[w["status"] == "away", "county_code"].value_counts().rename("roster_away")
        o = pd.DataFrame(away).join(self.carrier_latest, how="outer")
        o["roster_away"] = o["roster_away"].fillna(0).astype("int64")
        cc = o["c_count"].astype("Int64")
        hi = np.maximum(o["roster_away"].to_numpy(), cc.fillna(0).to_numpy())
        lo = np.minimum(o["roster_away"].to_numpy(), cc.fillna(0).to_numpy())
        has = cc.notna().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(has & (lo > 0), hi.astype("float64") / lo.astype("float64"), np.nan)
        flagged = has & np.where(lo == 0, hi > 0, ratio > self.params.disagreement_ratio)
        names = self.regions.set_index("code")["name"]
        code = o.index.to_series()
        out = pd.DataFrame(
            {
                "code": code.to_numpy(),
                "name": code.map(names).fillna(UNKNOWN_NAME).to_numpy(),
                "roster_away": o["roster_away"].to_numpy(),
                "carrier_count": cc.array,
                "carrier_date": o["c_date"].to_numpy(),
                "ratio": pd.array(pa.array(ratio, mask=np.isnan(ratio)).to_pandas(), dtype="Float64"),
                "flagged": flagged,
            }
        )
        return pa.Table.from_pandas(out, preserve_index=False)

    def _shortfall(self, keys: list[str], extra: dict[str, Any]) -> pd.DataFrame:
        w = self.workers
        c = _counts(w, keys)
        c["roster"] = c["away"] + c["returned"] + c["unknown"]
        c["back"] = c["returned"]
        for k, v in extra.items():
            c[k] = v(w, keys, c)
        c["share_back"] = c["back"].astype("float64") / c["roster"].astype("float64")
        return c

    def enterprise_shortfall(self) -> pa.Table:
        c = self._shortfall(["enterprise_id", "town_code", "is_key"], {})
        return pa.Table.from_pandas(c, preserve_index=False)

    def town_shortfall(self) -> pa.Table:
        def ents(w: pd.DataFrame, keys: list[str], c: pd.DataFrame) -> Any:
            return c["town_code"].map(w.groupby("town_code")["enterprise_id"].nunique()).to_numpy()

        def keys_(w: pd.DataFrame, keys: list[str], c: pd.DataFrame) -> Any:
            k = w[w["is_key"]].groupby("town_code")["enterprise_id"].nunique()
            return c["town_code"].map(k).fillna(0).astype("int64").to_numpy()

        c = self._shortfall(["town_code"], {"enterprises": ents, "key_enterprises": keys_})
        return pa.Table.from_pandas(c, preserve_index=False)
