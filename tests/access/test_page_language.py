"""No English in the Chinese UI, no Chinese in the English UI (issue #12 item 7), on rendered pages.

``tests/web/test_template_language`` reads the templates; this renders them. Every page row of the
access matrix (``matrix.PAGES``: every route but the API and the admin, with its path bound to an
object of the matrix world) is requested as every persona allowed to call it, in both languages
(the ``django_language`` cookie, as the switcher sets it); a POST is rolled back after its answer
and the page it redirects to has been read (flash messages). Then the main error pages (404, 403),
a form re-rendered with a validation error and refusals of bad input (``DomainError`` messages).

What is read of an HTML answer is what people read: text outside ``<script>``, ``<style>`` and
``<template>``, the ``title``, ``placeholder``, ``aria-label`` and ``alt`` attributes, the
``value`` of a button-like ``<input>`` (``visible_text``). In it

- zh-Hans: no Latin word of two letters or more, once the world's proper names (user names among
  them), codes (``CODES``: e-mail addresses, links and paths, file names, permit and plan ids, any
  run of letters holding a digit) and the brand and unit tokens of ``SAME_IN_BOTH_SHOWN`` are taken
  out; text in ``<code>`` (reason codes, commands, column names) is not read;
- en: no CJK character (ideographs, CJK punctuation, full-width forms), once the proper names of the
  world's data (people, towns, enterprises, stations, regions, carriers, what people typed …,
  ``proper_names``) and codes are taken out; a ``<code lang="zh-Hans">`` (a Chinese column name a
  file may carry) is not read.

The language switcher is exempt for its own words: each language in its own name, "Language".
``test_every_html_route_was_scanned`` fails when a route of the project answered no HTML page to
the scan and is not declared as a file, JSON or redirect in ``NOT_HTML``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from tests.access.matrix import PAGES, Row, call
from tests.access.world import WORKER_SESSION
from tests.web.test_template_language import SAME_IN_BOTH

pytestmark = pytest.mark.django_db

LANGS = ("zh-hans", "en")

# Routes that answer no HTML page to anyone: files, JSON, a redirect to a static file. (A POST that
# redirects is scanned on the page it redirects to.)
NOT_HTML = {
    "healthz": "JSON",
    "favicon.ico": "redirect",
    "exports/<int:export_id>/download/": "xlsx",
    "imports/<int:run_id>/rejected.xlsx": "xlsx",
    "audit/export.xlsx": "xlsx",
    "permits/<int:permit_id>/pdf/": "PDF",
    "heatmap/export/": "xlsx",
    "heatmap/boundaries/<str:level>.json": "GeoJSON",
    "planning/unassigned.xlsx": "xlsx",
    "planning/runs/<int:run_id>/map.json": "JSON",
    "planning/vehicles/<int:vehicle_id>/manifest.<str:fmt>": "xlsx",
    "tracing/contacts.xlsx": "xlsx",
    "report/daily.<str:fmt>": "xlsx or PDF",
}

# ------------------------------------------------------------------------------------ visible text

_SKIPPED_ELEMENTS = {"script", "style", "template"}
_READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
_BUTTON_INPUTS = {"submit", "button", "reset"}
# Computer code (reason codes, commands, paths, a file's column names): the same in both languages,
# so not read for Latin words on the Chinese page. On the English page it is read for Chinese but
# for a code marked ``lang="zh-Hans"``: a Chinese column name a file may carry.
_CODE_ELEMENTS = {"code", "kbd", "samp"}


class _Visible(HTMLParser):
    """Collects the (text, context) pieces of what a page shows; the context is ``switcher``,
    ``code``, ``zh-code`` (a code marked Chinese) or ``text``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str]] = []
        self._skipping: list[str] = []
        self._switcher = 0  # depth inside the switcher's form, 0 outside
        self._code: list[str] = []  # the lang attribute of each <code>, <kbd>, <samp> we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._switcher:
            self._switcher += tag == "form"
        elif tag == "form" and "lang" in a.get("class", "").split():
            self._switcher = 1
        if tag in _SKIPPED_ELEMENTS:
            self._skipping.append(tag)
        if tag in _CODE_ELEMENTS:
            self._code.append(a.get("lang", ""))
        if self._skipping or (tag == "input" and a.get("type") == "hidden"):
            return
        for name in _READ_ATTRIBUTES:
            if a.get(name):
                self.pieces.append((a[name], self._context))
        if tag == "input" and a.get("type") in _BUTTON_INPUTS and a.get("value"):
            self.pieces.append((a["value"], self._context))

    @property
    def _context(self) -> str:
        if self._switcher:
            return "switcher"
        if self._code:
            return "zh-code" if self._code[-1].lower().startswith("zh") else "code"
        return "text"

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()
        if self._switcher and tag == "form":
            self._switcher -= 1
        if self._code and tag in _CODE_ELEMENTS:
            self._code.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.pieces.append((data, self._context))


def visible_text(html: str) -> list[tuple[str, str]]:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.pieces


# ------------------------------------------------------------------------------- the two scanners

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# Codes, not words: e-mail addresses, links and paths, file extensions, and any run of letters
# and digits holding a digit (key ids, tokens, permit and plan ids, plates, ID numbers).
CODES = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|https?://\S+|(?<![\w/])/[\w./{}-]+"  # a link or a path printed as text
    r"|\S*\.(?:xlsx|xls|csv|pdf|json)\b|(?<![A-Za-z])\.[a-z]{2,5}\b"  # a file name, an extension
    r"|\b[A-Z]{1,4}(?:-[A-Z0-9]+)+\b"  # permit ids, plan keys: PP-7, RP-11-1
    r"|[A-Za-z0-9]*\d[A-Za-z0-9]*"  # e8d97cabca970437, HW1, 浙B12345
)
# Units and names the same in both languages (the template test's list, and units of data).
SAME_IN_BOTH_SHOWN = SAME_IN_BOTH | {"ml"}
NATIVE_NAMES = {code: str(name) for code, name in settings.LANGUAGES}
SWITCHER_WORDS = {*NATIVE_NAMES.values(), "Language"}


def _remove(text: str, words: list[str]) -> str:
    for word in words:  # longest first, so that 慈溪市 goes before 慈溪
        text = text.replace(word, " ")
    return text


def foreign_words(lang: str, pieces: list[tuple[str, str]], names: list[str]) -> list[str]:
    """The words of the other script in ``pieces`` (each piece cut to 80 characters around them)."""
    found = []
    for text, context in pieces:
        if (context == "code" and lang != "en") or (context == "zh-code" and lang == "en"):
            continue
        rest = _remove(text, sorted(SWITCHER_WORDS, key=len, reverse=True)) if context == "switcher" else text
        rest = CODES.sub(" ", _remove(rest, names))
        if lang == "en":
            hits = CJK.findall(rest)
        else:
            hits = [w for w in LATIN_WORD.findall(rest) if w not in SAME_IN_BOTH_SHOWN]
        if hits:
            found.append(f"{hits[:4]} in {' '.join(text.split())[:80]!r}")
    return found


# ---------------------------------------------------------------------------- the world's names


def proper_names(world: Any) -> list[str]:
    """The proper names of the world's data, longest first: people, towns, enterprises, stations,
    carriers, places, user names, file names, masked names, and the regions (county, prefecture, province, with
    and without their suffix) of every area code the data holds."""
    from django.contrib.auth import get_user_model

    from homeward.apps.accounts.models import Profile
    from homeward.apps.applications.models import ApplicationWorker, DepartmentTask
    from homeward.apps.planning import models as planning
    from homeward.apps.registry import models as registry
    from homeward.apps.teams import models as teams
    from homeward.apps.trips.models import ObservationHandover
    from homeward.core import regions

    fields: list[tuple[Any, tuple[str, ...]]] = [
        (get_user_model(), ("username",)),
        (Profile, ("display_name", "place", "province_code")),
        (registry.HomeCity, ("code", "name", "full_name", "display_name", "organiser")),
        (registry.HomeStation, ("name",)),
        (registry.Town, ("code", "name", "aliases")),
        (registry.Enterprise, ("name", "contact_name")),
        (registry.Worker, ("name", "origin_code")),
        (registry.PoliceArrival, ("place",)),
        (registry.ImportRun, ("original_name",)),
        (ApplicationWorker, ("name", "origin_code", "pickup_county_code")),
        (planning.TrainSlot, ("name", "origin_station", "destination_station")),
        (planning.Coach, ("plate", "carrier", "base")),
        (planning.Driver, ("name", "carrier", "base")),
        (planning.MedicalEscort, ("name", "organisation", "base")),
        (planning.PreventionKit, ("location",)),
        (planning.PlanVehicle, ("name", "base", "origin_area", "origin_name")),
        (planning.PlanRun, ("solver",)),
        (teams.Team, ("name", "base_city")),
        (teams.TeamMember, ("name",)),
        (teams.TestBooking, ("place",)),
        (teams.Vacancy, ("role",)),
        (teams.Recruit, ("name",)),
        # what people typed in: an enterprise's industry, a department's task answers, a hand-over
        (registry.Enterprise, ("industry",)),
        (ObservationHandover, ("rear_seat", "health_post", "handed_by", "received_by", "outcome_note")),
    ]
    values: set[str] = set()
    for model, names in fields:
        for row in model.objects.values_list(*names):
            values.update(str(v) for v in row if v)
    for data in DepartmentTask.objects.values_list("data", flat=True):
        values.update(_strings(data))
    from homeward.apps.trips.services.tickets import holder_name

    # a rider's name as the scanner and the health department's list show it (张＊)
    values.update(holder_name(n) for n in ApplicationWorker.objects.values_list("name", flat=True))

    # letters home: a letter is Chinese in both languages (its template is data, typed or the
    # default), and its preview masks the worker's name to the first character
    from homeward.apps.letters.models import Campaign
    from homeward.core.outreach.letter import DEFAULT_TEMPLATE, FIELDS

    for name, template, hotline in Campaign.objects.values_list("name", "template", "hotline"):
        values.update([name, hotline, *re.split(r"\{[^{}]*\}", template)])
    values.update([*re.split(r"\{[^{}]*\}", DEFAULT_TEMPLATE), *FIELDS])
    values.update(n[:1] for n in registry.Worker.objects.values_list("name", flat=True))

    for model in (teams.Vacancy, teams.Recruit):  # the skills people typed
        for skills in model.objects.values_list("skills", flat=True):
            values.update(_strings(skills))
    for value in list(values):
        values.update(part for part in re.split(r"[,，;；、\s]+", value) if part)
        if re.fullmatch(r"\d{2,6}", value):
            code = value.ljust(6, "0")
            for region in (regions.get(code), regions.prefecture_of(code), regions.province_of(code)):
                if region is not None:
                    values.add(region.name)
                    values.add(re.sub(r"(省|市|自治区|自治州|地区|区|县)$", "", region.name))
    values.update(s.name for s in regions.stations())
    values.update(r.name for r in regions.all_regions("province"))  # the heat map lists them all
    return sorted((v for v in values if CJK.search(v) or LATIN_WORD.search(v)), key=len, reverse=True)


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


# ------------------------------------------------------------------------------------ the crawl


def _client(user: Any, lang: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    if user is not None:
        client.force_login(user)
    return client


def _html(response: Any) -> str | None:
    """The page of an HTML answer (not of a redirect)."""
    if response.get("Content-Type", "").startswith("text/html") and not 300 <= response.status_code < 400:
        return response.content.decode()
    return None


def _pages(row: Row, world: Any, client: Client) -> Iterator[tuple[str, str]]:
    """(what was asked, HTML) of the row's call on the own side, or of the page a POST redirects
    to (where its flash message is shown); a POST is rolled back."""
    label = f"{row.key} [{row.obj or ''}]"
    with transaction.atomic():
        response = call(client, row, world, "own")
        assert response.status_code == row.ok, (label, response.status_code, response.content[:300])
        if (html := _html(response)) is not None:
            yield label, html
        if row.method == "POST" and response.status_code == 302:
            followed = client.get(response["Location"])
            if (html := _html(followed)) is not None:
                yield f"{label} → {response['Location']}", html
        transaction.set_rollback(True)


SCANNED: dict[str, set[str]] = defaultdict(set)  # route → languages in which it answered HTML


@pytest.mark.parametrize("lang", LANGS)
def test_no_other_script_on_any_page(lang: str, world: Any) -> None:
    names = proper_names(world)
    problems: dict[str, set[str]] = defaultdict(set)  # what was found → where
    count = 0
    for row in PAGES:
        if row.path == "i18n/setlang/":  # the switcher, to the language being scanned
            row = replace(row, body={"language": lang, "next": "/"})
        for identity in sorted(row.allow):
            client = _client(world.users.get(identity), lang)
            if identity == WORKER_SESSION:
                world.sign_in_worker(client)
            for label, html in _pages(row, world, client):
                SCANNED[row.path].add(lang)
                count += 1
                for word in foreign_words(lang, visible_text(html), names):
                    problems[word].add(f"{identity} {label}")
    for label, html in _special_pages(world, lang):
        count += 1
        for word in foreign_words(lang, visible_text(html), names):
            problems[word].add(label)
    assert count > 150, count
    report = [
        f"{word}\n    on {len(where)} pages, e.g. {min(where)}" for word, where in sorted(problems.items())
    ]
    assert not problems, f"{len(problems)} pieces of the other script ({lang}):\n" + "\n".join(report)


def _special_pages(world: Any, lang: str) -> Iterator[tuple[str, str]]:
    """The error pages, a form with a validation error, refusals of bad input."""
    tf = _client(world.users["taskforce"], lang)
    enterprise = _client(world.users["enterprise"], lang)
    anonymous = _client(None, lang)
    draft = world.sides["own"].objects["draft"]
    accepted = world.sides["own"].objects["accepted"]
    with transaction.atomic():
        asks = [
            ("404 signed in", tf.get("/no-such-page/"), 404),
            ("404 anonymous", anonymous.get("/permits/verify/no-such/"), 404),
            ("404 object", tf.get(f"/applications/{10**9}/"), 404),
            ("403 page", enterprise.get("/imports/"), 403),
            ("setup: bad code", tf.post("/setup/", {"code": "33O282"}), 400),
            ("submit accepted", tf.post(f"/applications/{accepted.pk}/submit/"), 409),
            ("upload: not a list", tf.post(f"/applications/{draft.pk}/upload/", {"file": ""}), 200),
            ("import form: no file", tf.post("/imports/upload/", {"kind": "roster"}), 400),
            ("verify: bad token", anonymous.get("/permits/verify/", {"t": "HWP1.nonsense"}), 200),
        ]
        transaction.set_rollback(True)
    for label, response, status in asks:
        assert response.status_code == status, (label, response.status_code, response.content[:300])
        html = _html(response)
        assert html is not None, label
        yield label, html


def test_every_html_route_was_scanned() -> None:
    """Runs after the scans (same module, declared after them); skipped when they did not both run."""
    if set().union(*SCANNED.values()) != set(LANGS):
        pytest.skip("the scans of both languages did not run")
    routes = {row.path for row in PAGES}
    assert set(NOT_HTML) <= routes, "NOT_HTML names a route that no longer exists"
    unscanned = routes - set(SCANNED) - set(NOT_HTML)
    assert unscanned == set(), f"routes that answered no HTML page to the scan: {sorted(unscanned)}"
    assert set(NOT_HTML) & set(SCANNED) == set(), "a route declared NOT_HTML answered an HTML page"
    assert all(langs == set(LANGS) for langs in SCANNED.values()), "a route answered HTML in one language"


def test_the_scanner_finds_what_it_should() -> None:
    page = (
        '<title>工作台 · 返岗通</title><script>var a = "中文 words";</script>'
        '<p>新增 accepted</p><input type="hidden" name="x" value="hidden words">'
        '<input placeholder="search"><img alt="地图"><option>全部 all</option>'
        '<form class="lang"><select aria-label="Language"><option>简体中文</option>'
        "<option>English</option></select></form>"
        "<p>PDF · 12 km · HW-330282-0001 · a@b.cn · 慈溪甲电器有限公司</p>"
        '<p><code>not_found</code> <code lang="zh-Hans">姓名</code>/<code>name</code> <code>名单</code></p>'
    )
    pieces = visible_text(page)
    zh = foreign_words("zh-hans", pieces, [])
    assert [w.split(" in ")[0] for w in zh] == ["['accepted']", "['search']", "['all']"]
    en = foreign_words("en", pieces, ["慈溪甲电器有限公司"])
    assert [w.split(" in ")[0] for w in en] == [
        "['工作台', '返岗通']",
        "['新增']",
        "['地图']",
        "['全部']",
        "['名单']",
    ]
