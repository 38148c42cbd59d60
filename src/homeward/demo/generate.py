"""Generate the synthetic Cixi of February 2020: towns, enterprises, a roster, police and carrier data.

Pure Python, Django-free, deterministic by seed (every random stream is ``random.Random`` seeded by a
string derived from the seed, and nothing iterates a set or a hash-ordered dict into the output).

The shape follows the article (DESIGN §4): ~670,000 roster workers, ~270,000 back and ~400,000 away;
20 towns; ~12,000 enterprises with a heavy tail (a few thousand-worker key enterprises, most under
20); origins concentrated in ten labour-exporting provinces so that 20+ prefectures hold over 10,000
away (宜宾 511500, 毕节 520500, 商丘 411400 among them), plus a long tail; police arrival records
for the returned workers and some noise; carrier counts by county that roughly agree with the roster;
county risk levels.

Rows are dicts keyed by the import's English header names (``homeward.core.ingest.headers``) with
string values, as a CSV reader would give them. Rows are produced by generators: the worker pass is
streamed and re-run from its seed whenever rows are asked for again, and only the compact ground truth
(returned IDs with their arrival day) is kept.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from homeward.core import regions
from homeward.core.identity import inspect_ric, ric_check_char, uscc_check_char

ScaleName = Literal["small", "city"]
RiskLevel = Literal["low", "medium", "high"]

# The day of the article; IDs are generated as they could have been issued by then.
DEMO_TODAY = date(2020, 2, 28)
# First arrivals of returned workers fall in this window (Zhejiang let factories reopen from 10 Feb).
CAMPAIGN_START = date(2020, 2, 3)
CAMPAIGN_END = date(2020, 2, 27)
CAMPAIGN_DAYS = (CAMPAIGN_END - CAMPAIGN_START).days + 1
# Carrier aggregates: one count per county and day over the last week of the campaign.
CARRIER_DATES = tuple(date(2020, 2, d) for d in range(20, 28))

BIRTH_YEAR_MIN = 1965
BIRTH_YEAR_MAX = 2004
# Everyone is at least 16 on the last insured date.
LAST_BIRTH_DATE = date(2004, 1, 10)
INSURED_FIRST = date(2008, 1, 1)
INSURED_LAST = date(2020, 1, 10)


@dataclass(frozen=True, slots=True)
class Scale:
    name: ScaleName
    workers: int
    enterprises: int
    # Police rows for IDs not on the roster, as a share of the returned workers' rows.
    police_noise: float
    # Carriers suppress small cells; rows below this count are left out.
    carrier_min_count: int
    # Carrier counties deliberately off by a large factor.
    carrier_outliers: int


SCALES: dict[str, Scale] = {
    "small": Scale(
        "small", workers=6_700, enterprises=120, police_noise=0.08, carrier_min_count=1, carrier_outliers=2
    ),
    "city": Scale(
        "city",
        workers=670_000,
        enterprises=12_000,
        police_noise=0.08,
        carrier_min_count=5,
        carrier_outliers=6,
    ),
}


@dataclass(frozen=True, slots=True)
class DemoTown:
    code: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    uscc: str
    name: str
    town: str  # the town's name, as in roster files
    town_code: str
    industry: str
    size: str  # micro / small / medium / large (registry Enterprise.Size)
    workers: int  # roster headcount
    is_key: bool
    contact_name: str
    contact_phone: str
    home_counties: tuple[str, ...]  # where many of its workers come from (chain migration)


@dataclass(frozen=True, slots=True)
class DemoTruth:
    """What the synthetic city knows and the fused data should recover."""

    roster_total: int
    returned_ids: tuple[str, ...]  # in roster order
    away_by_county: dict[str, int]  # today's county code -> workers still away
    returned_by_county: dict[str, int]
    historical_codes: int  # IDs issued under a code that no longer names that county

    @property
    def returned_total(self) -> int:
        return len(self.returned_ids)

    @property
    def away_total(self) -> int:
        return self.roster_total - len(self.returned_ids)

    def away_by_prefecture(self) -> dict[str, int]:
        """Prefecture code (the county's parent) -> away workers, largest first."""
        out: dict[str, int] = {}
        for county, n in self.away_by_county.items():
            region = regions.get(county)
            parent = region.parent if region is not None and region.parent else county[:4] + "00"
            out[parent] = out.get(parent, 0) + n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------------------------------
# Origins
# --------------------------------------------------------------------------------------------------
# Share of the roster by province (2-digit code). The ten labour-exporting provinces of the article
# hold ~91%; every other mainland province shares the rest (Zhejiang itself, outside Ningbo, most).
PROVINCE_SHARES: dict[str, float] = {
    "52": 0.190,  # 贵州
    "51": 0.155,  # 四川
    "41": 0.155,  # 河南
    "34": 0.135,  # 安徽
    "36": 0.070,  # 江西
    "43": 0.055,  # 湖南
    "42": 0.040,  # 湖北
    "53": 0.045,  # 云南
    "50": 0.035,  # 重庆
    "45": 0.035,  # 广西
    "33": 0.025,  # 浙江 (outside Ningbo)
    "62": 0.010,  # 甘肃
    "61": 0.008,  # 陕西
    "32": 0.006,  # 江苏
    "37": 0.006,  # 山东
    "35": 0.004,  # 福建
}
OTHER_PROVINCE_SHARE = 0.001  # each remaining mainland province
EXCLUDED_PROVINCES = frozenset({"71", "81", "82"})  # 台湾, 香港, 澳门: different ID documents
EXCLUDED_ORIGIN_PREFIX = "3302"  # 宁波: local, not migrant workers

# Large source prefectures and their share of the whole roster (the rest of each province's share
# is spread over its other prefectures).
PREFECTURE_SHARES: dict[str, float] = {
    "520500": 0.056,  # 毕节
    "520300": 0.030,  # 遵义
    "522600": 0.030,  # 黔东南
    "520600": 0.028,  # 铜仁
    "520200": 0.027,  # 六盘水
    "511500": 0.047,  # 宜宾
    "511300": 0.030,  # 南充
    "511700": 0.028,  # 达州
    "510500": 0.027,  # 泸州
    "411400": 0.046,  # 商丘
    "411600": 0.033,  # 周口
    "411500": 0.031,  # 信阳
    "411700": 0.031,  # 驻马店
    "341200": 0.040,  # 阜阳
    "341300": 0.031,  # 宿州
    "341600": 0.032,  # 亳州
    "341500": 0.031,  # 六安
    "360700": 0.030,  # 赣州
    "361100": 0.031,  # 上饶
    "430500": 0.031,  # 邵阳
    "421100": 0.018,  # 黄冈
    "530600": 0.030,  # 昭通
}

# Probability that a worker from a province is already back (before the enterprise factor).
RETURN_PROB: dict[str, float] = {
    "33": 0.80,
    "34": 0.46,
    "36": 0.44,
    "41": 0.42,
    "43": 0.42,
    "52": 0.38,
    "51": 0.37,
    "53": 0.33,
    "50": 0.38,
    "45": 0.40,
    "42": 0.07,
}
RETURN_PROB_OTHER = 0.42
# Calibrates the mean to ~270/670.
RETURN_CALIBRATION = 0.947

# Hubei prefectures rated high risk in February 2020; the rest of Hubei medium.
HIGH_RISK_PREFECTURES = frozenset({"420100", "420900", "421000", "421100", "421300", "420800"})

HOME_COUNTY_SHARE = 0.30  # of an enterprise's workers come from its home counties
HISTORICAL_CODE_SHARE = 0.08  # where an older code for the county fits the birth year


class _Sampler:
    """Weighted choice by bisection over cumulative weights."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


@dataclass(slots=True)
class _IdOption:
    """For one county: which area codes can start the ID of someone born in a given year."""

    current: dict[int, str] = field(default_factory=dict)  # year -> code (the current code or fallback)
    historical: dict[int, list[str]] = field(default_factory=dict)  # year -> older codes


def _all_counties() -> list[regions.Region]:
    return [r for r in regions.all_regions("county") if r.code[:2] not in EXCLUDED_PROVINCES]


def _historical_codes(county_codes: set[str]) -> dict[str, list[str]]:
    """Today's county -> older codes that now mean it (e.g. 520502 七星关区 <- 522401, 522421)."""
    out: dict[str, list[str]] = {}
    provinces = sorted({c[:2] for c in county_codes})
    for province in provinces:
        base = int(province) * 10000
        for n in range(base + 101, base + 10000):
            code = f"{n:06d}"
            if code[4:] == "00":
                continue
            for span in regions.area_code_spans(code):
                target = span.current_code
                if (
                    span.last_year is not None
                    and target is not None
                    and target != code
                    and target in county_codes
                    and code not in out.get(target, ())
                ):
                    out.setdefault(target, []).append(code)
    return out


class _Origins:
    """Where workers come from: county sampler, and valid ID area codes per county and birth year."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"homeward-demo/{seed}/origins")
        hist = _historical_codes({c.code for c in _all_counties()})
        # Counties created after the article (e.g. 2021) can only be origins through older codes.
        counties = [
            c
            for c in _all_counties()
            if not c.code.startswith(EXCLUDED_ORIGIN_PREFIX)
            and (
                c.code in hist or any(s.first_year < DEMO_TODAY.year for s in regions.area_code_spans(c.code))
            )
        ]
        by_province: dict[str, dict[str, list[regions.Region]]] = {}
        for county in counties:
            group = county.parent or county.code[:2] + "0000"
            by_province.setdefault(county.code[:2], {}).setdefault(group, []).append(county)
        codes: list[str] = []
        weights: list[float] = []
        for province in sorted(by_province):
            share = PROVINCE_SHARES.get(province, OTHER_PROVINCE_SHARE)
            groups = by_province[province]
            featured = {g: PREFECTURE_SHARES[g] for g in groups if g in PREFECTURE_SHARES}
            rest = max(share - sum(featured.values()), share * 0.1)
            others = [g for g in sorted(groups) if g not in featured]
            spread = [rng.uniform(0.4, 1.6) for _ in others]
            total_spread = sum(spread) or 1.0
            group_shares = dict(featured)
            for g, s in zip(others, spread, strict=True):
                group_shares[g] = rest * s / total_spread
            for g in sorted(groups):
                members = sorted(groups[g], key=lambda r: r.code)
                rng.shuffle(members)
                raw = [
                    (0.45 if r.name.endswith("区") else 1.0) / (rank + 2.0) for rank, r in enumerate(members)
                ]
                norm = sum(raw)
                for r, w in zip(members, raw, strict=True):
                    codes.append(r.code)
                    weights.append(group_shares[g] * w / norm)
        self.sampler = _Sampler(codes, weights)
        self.county_codes = set(codes)
        self._historical = hist
        self._options: dict[str, _IdOption] = {}

    def _resolves_to(self, code: str, year: int, county: str) -> bool:
        first17 = f"{code}{year}0701001"
        result = inspect_ric(first17 + ric_check_char(first17), today=DEMO_TODAY)
        return result.valid and result.origin_code == county

    def options(self, county: str) -> _IdOption:
        opt = self._options.get(county)
        if opt is None:
            opt = _IdOption()
            hist = self._historical.get(county, [])
            for year in range(BIRTH_YEAR_MIN, BIRTH_YEAR_MAX + 1):
                old = [c for c in hist if self._resolves_to(c, year, county)]
                if old:
                    opt.historical[year] = old
                if self._resolves_to(county, year, county):
                    opt.current[year] = county
                elif old:
                    opt.current[year] = old[0]
            self._options[county] = opt
        return opt


# --------------------------------------------------------------------------------------------------
# Names, phones, IDs
# --------------------------------------------------------------------------------------------------
# Common surnames with rough frequencies (per mille), a general fact about Chinese names.
SURNAMES = (
    "王71 李70 张67 刘54 陈45 杨31 黄22 赵20 吴20 周19 徐15 孙14 马13 朱12 胡12 郭11 何11 罗9 高9 林9 "
    "郑8 梁7 谢7 宋6 唐6 许6 韩6 邓5 冯5 曹5 彭5 曾5 肖5 田5 董4 潘4 袁4 蔡4 蒋4 余4 于4 杜4 叶4 程3 "
    "魏3 苏3 吕3 丁3 任3 卢3 姚3 沈3 钟3 姜3 崔3 谭3 陆3 范2 汪2 廖2 石2 金2 韦2 贾2 夏2 付2 方2 邹2 "
    "熊2 白2 孟2 秦2 邱2 侯2 江2 尹2 薛2 闫2 段2 雷2 龙2 黎2 史2 陶2 贺2 毛2 郝1 顾1 龚1 邵1 万1 覃1 "
    "武1 钱1 戴1 严1 莫1 孔1 向1 常1 汤1 蒙1 欧阳1"
)
# Regional surname boosts (multipliers) by province.
SURNAME_BOOSTS: dict[str, dict[str, float]] = {
    "45": {"韦": 8, "覃": 8, "莫": 5, "蒙": 6, "黄": 2, "梁": 2},
    "52": {"杨": 1.8, "龙": 5, "吴": 2, "罗": 2, "王": 1.2},
    "51": {"罗": 1.5, "何": 1.5, "曾": 1.5},
    "36": {"刘": 1.3, "曾": 1.5, "邱": 2},
    "43": {"刘": 1.3, "彭": 1.8, "谭": 2, "邓": 1.5},
    "41": {"王": 1.3, "张": 1.3, "李": 1.2},
}
MALE_CHARS = (
    "伟强军磊勇杰涛明超刚平辉鹏华飞斌波宇浩俊峰建国文志海林东亮成龙兵松宏洋凯锋健春山新祥福贵荣发"
    "德忠江永胜光金武阳晨鑫帅旭帆然宁云坤彬毅顺豪博雄鸿"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞燕玲秀英梅红琴云莉兰萍雪婷倩丹慧洁佳玉桂凤春花琳颖露晶欢月莹淑珍妮翠娇茜蓉媛悦彤瑶怡琪"
)
MOBILE_PREFIXES = tuple(
    f"1{n}"
    for n in (
        30,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        38,
        39,
        47,
        50,
        51,
        52,
        53,
        55,
        56,
        57,
        58,
        59,
        66,
        73,
        75,
        76,
        77,
        78,
        80,
        81,
        82,
        83,
        84,
        85,
        86,
        87,
        88,
        89,
        98,
        99,
    )
)


def _parse_surnames() -> tuple[list[str], list[float]]:
    names: list[str] = []
    weights: list[float] = []
    for token in SURNAMES.split():
        name = token.rstrip("0123456789")
        names.append(name)
        weights.append(float(token[len(name) :]))
    return names, weights


class _People:
    """Names, phones and resident IDs, unique within one city."""

    def __init__(self, origins: _Origins) -> None:
        self.origins = origins
        names, weights = _parse_surnames()
        self._surnames = names
        self._surname_weights = weights
        self._surname_by_province: dict[str, _Sampler] = {}
        self._default_surnames = _Sampler(names, weights)
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()
        self.historical = 0

    def surname(self, rng: random.Random, province: str) -> str:
        boosts = SURNAME_BOOSTS.get(province)
        if boosts is None:
            return self._default_surnames.pick(rng)
        sampler = self._surname_by_province.get(province)
        if sampler is None:
            w = [wt * boosts.get(n, 1.0) for n, wt in zip(self._surnames, self._surname_weights, strict=True)]
            sampler = self._surname_by_province[province] = _Sampler(self._surnames, w)
        return sampler.pick(rng)

    def name(self, rng: random.Random, province: str, male: bool) -> str:
        chars = MALE_CHARS if male else FEMALE_CHARS
        given = rng.choice(chars)
        if rng.random() < 0.7:
            second = rng.choice(chars)
            while second == given:
                second = rng.choice(chars)
            given += second
        return self.surname(rng, province) + given

    def phone(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            key = int(number)
            if key not in self.used_phones:
                self.used_phones.add(key)
                return number

    def ric(self, rng: random.Random, county: str) -> tuple[str, date, bool]:
        """A new, unique ID for someone from ``county``: (number, birth date, male)."""
        opt = self.origins.options(county)
        while True:
            year = int(rng.triangular(BIRTH_YEAR_MIN, BIRTH_YEAR_MAX + 1, 1990))
            code = opt.current.get(year)
            if code is None:
                if not opt.current:
                    raise ValueError(f"no area code can be issued for county {county}")
                continue
            hist = opt.historical.get(year)
            is_hist = False
            if hist and rng.random() < HISTORICAL_CODE_SHARE:
                code = rng.choice(hist)
                is_hist = True
            elif code != county:
                is_hist = True
            born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            if born > LAST_BIRTH_DATE:
                continue
            male = rng.random() < 0.56
            seq = rng.randrange(500) * 2 + (1 if male else 0)
            first17 = f"{code}{born:%Y%m%d}{seq:03d}"
            key = int(first17)
            if key in self.used_ids:
                continue
            self.used_ids.add(key)
            if is_hist:
                self.historical += 1
            return first17 + ric_check_char(first17), born, male


# --------------------------------------------------------------------------------------------------
# Towns and enterprises
# --------------------------------------------------------------------------------------------------
# Relative number of enterprises per town (by name fragment); unknown towns weigh 1.
TOWN_WEIGHTS: dict[str, float] = {
    "周巷": 9,
    "观海卫": 9,
    "浒山": 7,
    "宗汉": 7,
    "坎墩": 6,
    "逍林": 6,
    "新浦": 5,
    "横河": 5,
    "掌起": 5,
    "桥头": 5,
    "长河": 5,
    "附海": 5,
    "匡堰": 4,
    "胜山": 4,
    "古塘": 4,
    "龙山": 4,
    "庵东": 4,
    "白沙路": 3,
    "崇寿": 3,
    "陆中湾": 2,
}
# industry, weight, words used in names
INDUSTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("家电", 22, ("电器", "家用电器", "电器制造", "小家电")),
    ("轴承", 10, ("轴承", "精密轴承", "轴承制造")),
    ("纺织", 9, ("纺织", "针织", "织造")),
    ("化纤", 7, ("化纤", "化纤纺织", "纤维")),
    ("汽配", 9, ("汽车部件", "汽车配件", "汽配")),
    ("模具", 8, ("模具", "模塑", "精密模具")),
    ("电子", 10, ("电子", "电子科技", "电子元件")),
    ("五金", 8, ("五金", "五金制品", "金属制品")),
    ("塑料", 7, ("塑业", "塑料制品", "塑胶")),
    ("服装", 5, ("服饰", "制衣", "服装")),
    ("照明", 5, ("照明电器", "灯具", "光电")),
)
# Town specialities multiply an industry's weight.
TOWN_INDUSTRY_BOOSTS: dict[str, dict[str, float]] = {
    "周巷": {"家电": 2.5},
    "观海卫": {"家电": 2.0, "轴承": 1.5},
    "长河": {"家电": 1.8},
    "坎墩": {"化纤": 3.0, "纺织": 1.5},
    "宗汉": {"纺织": 2.0, "化纤": 1.5},
    "新浦": {"汽配": 1.8},
    "掌起": {"轴承": 1.8, "五金": 1.5},
    "附海": {"轴承": 1.5, "模具": 1.5},
    "庵东": {"汽配": 1.5, "电子": 1.5},
}
BRAND_CHARS = (
    "宏达华丰盛鑫利源泰恒兴昌隆金德安永瑞祥嘉信宇天海新明富康顺凯诚博远亿通佳乐飞龙峰东方中立"
    "三星正大伟业开元新光日升友邦惠腾万和鸿运精工科创立信浩天美联众力"
)
NAME_PREFIXES = ("慈溪市", "慈溪市", "慈溪市", "宁波", "浙江")
ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(body8: str) -> str:
    """GB 11714 organisation code: 8 characters and a check character."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def _size_category(workers: int) -> str:
    if workers >= 1000:
        return "large"
    if workers >= 300:
        return "medium"
    if workers >= 20:
        return "small"
    return "micro"


def _headcounts(rng: random.Random, n: int, total: int) -> list[int]:
    """Heavy-tailed headcounts (log-normal, median ~12) scaled to sum exactly to ``total``."""
    raw = [rng.lognormvariate(math.log(12.0), 1.75) for _ in range(n)]
    factor = total / sum(raw)
    sizes = [max(1, round(x * factor)) for x in raw]
    diff = total - sum(sizes)
    order = sorted(range(n), key=lambda i: -sizes[i])
    i = 0
    while diff != 0:
        j = order[i % n]
        step = 1 if diff > 0 else -1
        if sizes[j] + step >= 1:
            sizes[j] += step
            diff -= step
        i += 1
    return sizes


def _make_towns() -> tuple[DemoTown, ...]:
    return tuple(DemoTown(t.code, t.name, t.kind) for t in sorted(regions.towns(), key=lambda t: t.code))


def _town_weight(name: str) -> float:
    for fragment, w in TOWN_WEIGHTS.items():
        if fragment in name:
            return w
    return 1.0


def _make_enterprises(
    seed: int, scale: Scale, towns: Sequence[DemoTown], origins: _Origins, people: _People
) -> tuple[DemoEnterprise, ...]:
    rng = random.Random(f"homeward-demo/{seed}/enterprises")
    sizes = _headcounts(rng, scale.enterprises, scale.workers)
    town_sampler = _Sampler([t.code for t in towns], [_town_weight(t.name) for t in towns])
    town_by_code = {t.code: t for t in towns}
    industry_samplers: dict[str, _Sampler] = {}
    words = {name: w for name, _weight, w in INDUSTRIES}
    used_names: set[str] = set()
    used_usccs: set[str] = set()
    out: list[DemoEnterprise] = []
    for headcount in sizes:
        town = town_by_code[town_sampler.pick(rng)]
        sampler = industry_samplers.get(town.code)
        if sampler is None:
            boosts = next((b for frag, b in TOWN_INDUSTRY_BOOSTS.items() if frag in town.name), {})
            sampler = industry_samplers[town.code] = _Sampler(
                [name for name, _w, _words in INDUSTRIES],
                [w * boosts.get(name, 1.0) for name, w, _words in INDUSTRIES],
            )
        industry = sampler.pick(rng)
        size = _size_category(headcount)
        suffix = "股份有限公司" if size == "large" and rng.random() < 0.5 else "有限公司"
        while True:
            brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
            if brand[0] == brand[1]:
                continue
            prefix = "浙江" if size == "large" and rng.random() < 0.5 else rng.choice(NAME_PREFIXES)
            name = f"{prefix}{brand}{rng.choice(words[industry])}{suffix}"
            if name not in used_names:
                used_names.add(name)
                break
        while True:
            if rng.random() < 0.55:  # codes issued since 2015: MA + 6 characters
                body = "MA2" + "".join(rng.choice(ORG_CODE_CHARS) for _ in range(5))
            else:  # older organisation codes
                body = rng.choice(("14", "25", "71", "72", "73", "79")) + f"{rng.randrange(1_000_000):06d}"
            first17 = "91330282" + _org_code(body)
            uscc = first17 + uscc_check_char(first17)
            if uscc not in used_usccs:
                used_usccs.add(uscc)
                break
        homes = tuple(origins.sampler.pick(rng) for _ in range(rng.randint(1, 3)))
        contact_male = rng.random() < 0.4
        out.append(
            DemoEnterprise(
                uscc=uscc,
                name=name,
                town=town.name,
                town_code=town.code,
                industry=industry,
                size=size,
                workers=headcount,
                is_key=headcount >= 300,
                contact_name=people.name(rng, "33", contact_male),
                contact_phone=people.phone(rng),
                home_counties=homes,
            )
        )
    return tuple(out)


def _risk_levels(seed: int) -> tuple[tuple[str, RiskLevel], ...]:
    rng = random.Random(f"homeward-demo/{seed}/risk")
    out: list[tuple[str, RiskLevel]] = []
    for county in sorted(_all_counties(), key=lambda r: r.code):
        level: RiskLevel = "low"
        if county.code.startswith("42"):
            level = (
                "high"
                if (county.parent or "") in HIGH_RISK_PREFECTURES or county.code[:4] == "4201"
                else "medium"
            )
        elif county.code.startswith("3303") and rng.random() < 0.5:  # 温州
            level = "medium"
        else:
            x = rng.random()
            level = "high" if x < 0.002 else "medium" if x < 0.015 else "low"
        out.append((county.code, level))
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# The city
# --------------------------------------------------------------------------------------------------
POLICE_PLACES: tuple[tuple[str, float], ...] = (
    ("余姚北站", 30),
    ("宁波站", 10),
    ("慈溪汽车站", 15),
    ("宁波栎社国际机场", 3),
    ("G15沈海高速慈溪卡口", 22),
    ("杭州湾跨海大桥南岸卡口", 20),
)


class DemoCity:
    """A generated city. Towns, enterprises and risk levels are built eagerly (they are small); the
    roster, police and carrier rows are generators, and the ground truth is computed on first need."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        self._origins = _Origins(seed)
        self._people = _People(self._origins)
        self.towns = _make_towns()
        self.enterprises = _make_enterprises(seed, scale, self.towns, self._origins, self._people)
        self.risk_levels = _risk_levels(seed)
        self._truth: DemoTruth | None = None
        # (id, first arrival day offset, town index, origin county) per returned worker
        self._returned: list[tuple[str, int, int, str]] = []
        self._carrier_outliers: tuple[tuple[str, float], ...] | None = None
        self._roster_ids: frozenset[int] = frozenset()
        self._base_people = (set(self._people.used_ids), set(self._people.used_phones))

    # -- roster ----------------------------------------------------------------------------------
    def _worker_pass(self) -> Iterator[dict[str, str]]:
        rng = random.Random(f"homeward-demo/{self.seed}/roster")
        people = _People(self._origins)
        people.used_ids, people.used_phones = set(self._base_people[0]), set(self._base_people[1])
        sampler = self._origins.sampler
        day_weights = [
            1.0 + 0.25 * d + (3.0 if CAMPAIGN_START + timedelta(days=d) >= date(2020, 2, 18) else 0.0)
            for d in range(CAMPAIGN_DAYS)
        ]
        day_cum = list(itertools.accumulate(day_weights))
        town_index = {t.name: i for i, t in enumerate(self.towns)}
        returned: list[tuple[str, int, int, str]] = []
        away_by_county: dict[str, int] = {}
        returned_by_county: dict[str, int] = {}
        total = 0
        insured_span = (INSURED_LAST - INSURED_FIRST).days
        for ent in self.enterprises:
            factor = 1.15 if ent.is_key else 0.92 if ent.size == "micro" else 1.0
            factor *= RETURN_CALIBRATION
            homes = ent.home_counties
            t_index = town_index[ent.town]
            for _ in range(ent.workers):
                county = rng.choice(homes) if rng.random() < HOME_COUNTY_SHARE else sampler.pick(rng)
                province = county[:2]
                number, born, male = people.ric(rng, county)
                sixteen = date(born.year + 16, born.month, min(born.day, 28))
                start = max(INSURED_FIRST, sixteen)
                offset = (INSURED_LAST - start).days
                insured = (
                    start + timedelta(days=rng.randrange(max(offset, 0) + 1)) if offset > 0 else INSURED_LAST
                )
                if rng.random() < 0.15:  # a share signed up on the same first day of a month
                    insured = INSURED_FIRST + timedelta(days=rng.randrange(insured_span + 1))
                    insured = max(insured.replace(day=1), start)
                row = {
                    "uscc": ent.uscc,
                    "enterprise_name": ent.name,
                    "town": ent.town,
                    "id_number": number,
                    "name": people.name(rng, province, male),
                    "phone": people.phone(rng),
                    "insured_since": insured.isoformat(),
                }
                p = min(0.95, RETURN_PROB.get(province, RETURN_PROB_OTHER) * factor)
                if rng.random() < p:
                    day = bisect.bisect_right(day_cum, rng.random() * day_cum[-1])
                    returned.append((number, day, t_index, county))
                    returned_by_county[county] = returned_by_county.get(county, 0) + 1
                else:
                    away_by_county[county] = away_by_county.get(county, 0) + 1
                total += 1
                yield row
        self._returned = returned
        self._truth = DemoTruth(
            roster_total=total,
            returned_ids=tuple(r[0] for r in returned),
            away_by_county=dict(sorted(away_by_county.items())),
            returned_by_county=dict(sorted(returned_by_county.items())),
            historical_codes=people.historical,
        )
        self._roster_ids = frozenset(people.used_ids)

    def roster_rows(self) -> Iterator[dict[str, str]]:
        """Roster rows, enterprise by enterprise. Consuming them all records the ground truth."""
        return self._worker_pass()

    @property
    def truth(self) -> DemoTruth:
        if self._truth is None:
            for _row in self._worker_pass():
                pass
        assert self._truth is not None
        return self._truth

    # -- police ----------------------------------------------------------------------------------
    def police_rows(self) -> Iterator[dict[str, str]]:
        """1–2 arrival records per returned worker, then records for people not on the roster."""
        self.truth  # noqa: B018 - make sure the worker pass ran
        rng = random.Random(f"homeward-demo/{self.seed}/police")
        places = _Sampler([p for p, _w in POLICE_PLACES], [w for _p, w in POLICE_PLACES])
        town_short = [t.name.removesuffix("街道").removesuffix("镇") for t in self.towns]
        for number, day, t_index, _county in self._returned:
            arrived = CAMPAIGN_START + timedelta(days=day)
            yield {"id_number": number, "arrived_on": arrived.isoformat(), "place": places.pick(rng)}
            if rng.random() < 0.4:
                later = min(CAMPAIGN_END, arrived + timedelta(days=rng.choice((0, 0, 1, 2))))
                yield {
                    "id_number": number,
                    "arrived_on": later.isoformat(),
                    "place": f"{town_short[t_index]}防疫检查点",
                }
        # People not on the roster (visitors, new recruits, family): fresh IDs, never a roster one.
        people = _People(self._origins)
        people.used_ids = set(self._roster_ids)
        noise = round(len(self._returned) * 1.4 * self.scale.police_noise)
        first_day = date(2020, 2, 1)
        span = (CAMPAIGN_END - first_day).days + 1
        for _ in range(noise):
            county = self._origins.sampler.pick(rng)
            number, _born, _male = people.ric(rng, county)
            arrived = first_day + timedelta(days=rng.randrange(span))
            yield {"id_number": number, "arrived_on": arrived.isoformat(), "place": places.pick(rng)}

    # -- carrier ---------------------------------------------------------------------------------
    @property
    def carrier_outliers(self) -> tuple[tuple[str, float], ...]:
        """Counties whose carrier counts deliberately disagree with the roster: (code, factor)."""
        if self._carrier_outliers is None:
            rng = random.Random(f"homeward-demo/{self.seed}/carrier-outliers")
            ranked = sorted(self.truth.away_by_county.items(), key=lambda kv: (-kv[1], kv[0]))[:60]
            picked = rng.sample([c for c, _n in ranked], min(self.scale.carrier_outliers, len(ranked)))
            self._carrier_outliers = tuple(
                (code, 0.4 if i % 2 == 0 else 2.2) for i, code in enumerate(sorted(picked))
            )
        return self._carrier_outliers

    def carrier_rows(self) -> Iterator[dict[str, str]]:
        """Per county and day: phones whose home is the city, seen in that county (≈ away × 0.8–1.2)."""
        truth = self.truth
        rng = random.Random(f"homeward-demo/{self.seed}/carrier")
        # Workers who came back after each carrier date were still in their county on that date.
        later: dict[str, list[int]] = {}
        for _number, day, _t, county in self._returned:
            later.setdefault(county, [0] * CAMPAIGN_DAYS)[day] += 1
        outliers = dict(self.carrier_outliers)
        counties = sorted(set(truth.away_by_county) | set(later))
        factors = {c: outliers.get(c, rng.uniform(0.8, 1.2)) for c in counties}
        for d in CARRIER_DATES:
            cutoff = (d - CAMPAIGN_START).days
            for county in counties:
                days = later.get(county)
                still = truth.away_by_county.get(county, 0) + (sum(days[cutoff + 1 :]) if days else 0)
                count = round(still * factors[county] * rng.uniform(0.97, 1.03))
                if count >= self.scale.carrier_min_count:
                    yield {"date": d.isoformat(), "county_code": county, "count": str(count)}


def generate_city(scale: ScaleName | Scale, seed: int) -> DemoCity:
    """The synthetic city for ``scale`` ("small" for tests, "city" for the article's numbers)."""
    if isinstance(scale, str):
        try:
            scale = SCALES[scale]
        except KeyError:
            raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}") from None
    return DemoCity(scale, seed)
