"""Structured logs: a request id on every line (echoed in X-Request-ID), JSON lines in production,
no query strings, and ID numbers and mobile numbers masked whatever logged them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

import pytest

from homeward.apps.ops.logs import JsonFormatter, RequestIdFilter, TextFormatter, redact
from tests.factories import make_ric


@pytest.fixture
def json_lines():
    """Log lines of the ``homeward`` and ``django`` loggers, formatted as production formats them."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger("homeward"), logging.getLogger("django")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_each_request_logs_one_json_line_with_its_id_and_no_query_string(client, taskforce, json_lines):
    client.force_login(taskforce)  # a role that may search by ID number
    ric = make_ric("522401", dt.date(1990, 3, 1), 1)
    response = client.get("/workers/", {"q": ric})
    docs = [json.loads(line) for line in json_lines]
    request_line = next(d for d in docs if d["logger"] == "homeward.request")
    assert request_line["request_id"] == response["X-Request-ID"]
    assert (request_line["method"], request_line["path"], request_line["status"]) == ("GET", "/workers/", 200)
    assert request_line["user_id"] == taskforce.pk and request_line["ms"] >= 0
    assert ric not in "".join(json_lines) and "q=" not in "".join(json_lines)


def test_django_error_lines_carry_the_request_id(client, json_lines):
    response = client.get("/api/v1/workers")
    assert response.status_code == 401
    warning = next(json.loads(line) for line in json_lines if '"django.request"' in line)
    assert warning["request_id"] == response["X-Request-ID"]


def test_an_untrusted_request_id_is_replaced(client, settings):
    assert client.get("/login/", headers={"X-Request-ID": "abcdefgh-1234"})["X-Request-ID"] != "abcdefgh-1234"
    settings.HOMEWARD_TRUSTED_PROXIES = 1
    assert client.get("/login/", headers={"X-Request-ID": "abcdefgh-1234"})["X-Request-ID"] == "abcdefgh-1234"
    assert client.get("/login/", headers={"X-Request-ID": "<script>"})["X-Request-ID"] != "<script>"


def test_personal_data_is_masked_in_messages_extras_and_tracebacks():
    ric = "33028219900101123X"
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "worker %s phone %s", (ric, "13912345678"), None
    )
    record.detail = f"Key (id_number)=({ric}) already exists"
    try:
        raise ValueError(f"duplicate {ric}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    doc = json.loads(line)
    assert ric not in line and "13912345678" not in line
    assert doc["message"] == "worker <id-number> phone <mobile>"
    assert "<id-number>" in doc["detail"] and "<id-number>" in doc["exception"]
    record.request_id = "-"
    assert ric not in TextFormatter("%(message)s").format(record)


def test_redaction_leaves_ids_that_are_not_personal_data_alone():
    request_id = "8f3a123456789012345678abcdef0123"
    assert redact(f"request {request_id} took 12 ms at 1718000000000") == (
        f"request {request_id} took 12 ms at 1718000000000"
    )
