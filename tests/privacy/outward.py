"""Every outward representation one signed-in user can get: each URL of the project (API, pages,
exports, the admin) with its parameters filled from the objects of the test world, then the links
found in the pages, a few levels deep. Each response is cut into records (a JSON object, a table
row, the rest of a page, a spreadsheet row, a PDF page)."""

from __future__ import annotations

import html
import io
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
HREF = re.compile(r'href="([^"#]+)"')
ROW = re.compile(r"<tr\b.*?</tr>", re.S)
TAG = re.compile(r"<[^>]+>")
# Not fetched: they leave the session, serve static files, or are the admin's empty forms and
# confirmations (its list variants — sorting, facets, filters — show the same columns as the list).
SKIP = (
    "/logout/",
    "/i18n/",
    "/static/",
    "/api/v1/docs",
    "javascript:",
    "mailto:",
    "/add/",
    "/delete/",
    "/history/",
)
# The admin's object pages are reached by following its links (their ids are content-type paths).
ADMIN_OBJECT = "object_id"


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    records: tuple[str, ...]
    text: str
    reveal: bool  # the request recorded an audited reveal


def routes() -> list[tuple[str, tuple[str, ...]]]:
    """Every URL pattern of the project as (route with ``<conv:name>`` placeholders, its names)."""
    out: list[tuple[str, tuple[str, ...]]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                out.append((route, tuple(name for _conv, name in PARAM.findall(route))))

    walk(get_resolver().url_patterns, "/")
    return out


def fill(route: str, binding: dict[str, Any]) -> str:
    return PARAM.sub(lambda m: str(binding[m.group(2)]), route.replace("^", "").replace("$", ""))


def seeds(bindings: list[dict[str, Any]]) -> tuple[list[str], set[str]]:
    """Every route filled with every binding that names exactly its parameters (the admin's object
    pages excluded: they are crawled), and the parameter names no binding fills."""
    urls: list[str] = []
    unfilled: set[str] = set()
    for route, names in routes():
        if ADMIN_OBJECT in names or "\\" in route or "(?" in route:
            continue
        if not names:
            urls.append(fill(route, {}))
            continue
        wanted = set(names)
        fitting = {tuple(sorted((k, b[k]) for k in wanted)) for b in bindings if wanted <= set(b)}
        if not fitting:
            unfilled |= wanted
        urls.extend(fill(route, dict(items)) for items in sorted(fitting))
    return urls, unfilled


def _records(content_type: str, body: bytes) -> tuple[tuple[str, ...], str]:
    if "json" in content_type:
        data = json.loads(body or b"null")
        return tuple(_json_records(data)), json.dumps(data, ensure_ascii=False)
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = ["\t".join("" if v is None else str(v) for v in r) for r in sheet.iter_rows(values_only=True)]
        return tuple(rows), "\n".join(rows)
    if "pdf" in content_type:
        from pypdf import PdfReader

        pages = [(p.extract_text() or "").replace("\x00", "") for p in PdfReader(io.BytesIO(body)).pages]
        return tuple(pages), "\n".join(pages)
    if "html" in content_type or content_type.startswith("text/"):
        text = body.decode("utf-8", "replace")
        rows = ROW.findall(text)
        rest = ROW.sub(" ", text)
        return tuple(_plain(r) for r in (*rows, rest)), text
    return (), ""


def _plain(fragment: str) -> str:
    """A fragment's text and its attribute values (a data-* attribute shows as much as text)."""
    attributes = " ".join(re.findall(r'=\s*"([^"]*)"', fragment))
    return html.unescape(TAG.sub(" ", fragment) + " " + attributes)


def _json_records(data: Any) -> Iterator[str]:
    """Each JSON object's own scalar fields as one record; nested objects are records of their own."""
    if isinstance(data, dict):
        yield json.dumps(
            {k: v for k, v in data.items() if not isinstance(v, (dict, list))}, ensure_ascii=False
        )
        for v in data.values():
            yield from _json_records(v)
    elif isinstance(data, list):
        for v in data:
            yield from _json_records(v)


def crawl(client: Any, start: list[str], *, depth: int = 3, budget: int = 600) -> list[Response]:
    """GET ``start`` and the same-site links of every HTML page, breadth first. A PDF is the same
    rows as its spreadsheet in a slow renderer: one of each shape (ids aside) is read."""
    from homeward.apps.audit.models import AuditEvent

    seen: set[str] = set()
    pdf_shapes: set[str] = set()
    queue: deque[tuple[str, int]] = deque((u, 0) for u in start)
    out: list[Response] = []
    while queue and len(out) < budget:
        url, level = queue.popleft()
        if url in seen or any(s in url for s in SKIP) or (url.startswith("/admin/") and "?" in url):
            continue
        seen.add(url)
        shape = re.sub(r"\d+", "#", url)
        if "pdf" in urlsplit(url).path:
            if shape in pdf_shapes:
                continue
            pdf_shapes.add(shape)
        before = AuditEvent.objects.filter(action__endswith=".reveal").count()
        response = client.get(
            url + ("&" if "?" in url else "?") + "limit=500" if url.startswith("/api/") else url
        )
        reveal = AuditEvent.objects.filter(action__endswith=".reveal").count() > before
        content_type = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.get("Content-Encoding") == "gzip":
            continue  # region boundaries: shipped public data
        records, text = _records(content_type, body) if response.status_code == 200 else ((), "")
        out.append(Response(url, response.status_code, content_type, records, text, reveal))
        if "html" in content_type and level < depth:
            for href in HREF.findall(body.decode("utf-8", "replace")):
                target = urljoin(url, html.unescape(href))
                parts = urlsplit(target)
                if not parts.netloc and parts.path.startswith("/"):
                    queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), level + 1))
    return out
