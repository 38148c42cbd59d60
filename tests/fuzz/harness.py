"""schemathesis driven over a live server, one signed-in session per role.

Each operation gets a fixed number of examples per generation mode (positive: data the schema
allows; negative: data it forbids) from a fixed Hypothesis seed, so a run is the same run every
time. Failures are collected, not raised, so that one run reports every (operation, check, status)
that failed instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

# What a response must satisfy: no 5xx; a documented status; the documented media type, headers and
# body schema; and, for data the schema forbids, a 4xx refusal.
RESPONSE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
CHECKS_BY_MODE = {
    GenerationMode.POSITIVE: RESPONSE_CHECKS,
    GenerationMode.NEGATIVE: [*RESPONSE_CHECKS, negative_data_rejection],
}


@dataclass(frozen=True)
class Finding:
    role: str
    operation: str
    mode: str
    check: str
    status: int
    example: str  # a curl command that reproduces it (cookies elided)


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    cases: Counter[str] = field(default_factory=Counter)  # by role
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[tuple[str, str, str, str, int], Finding] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        key = (finding.role, finding.operation, finding.mode, finding.check, finding.status)
        self.findings.setdefault(key, finding)


def sign_in(base_url: str, username: str, password: str) -> requests.Session:
    """A session as a browser gets one: the login page's CSRF cookie, then the form."""
    session = requests.Session()
    session.get(f"{base_url}/login/", timeout=30).raise_for_status()
    answer = session.post(
        f"{base_url}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
    )
    answer.raise_for_status()
    if "sessionid" not in session.cookies:
        raise RuntimeError(f"could not sign in as {username}")
    return session


def load_schema(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=schemathesis.Config())


def fuzz_role(
    schema: schemathesis.BaseSchema,
    base_url: str,
    role: str,
    session: requests.Session,
    tally: Tally,
    *,
    examples: int,
    hypothesis_seed: int,
) -> None:
    """Every operation of ``schema`` as ``role``: ``examples`` cases per generation mode."""
    cookies = dict(session.cookies)
    # The session cookie and the CSRF header are fixed, so that every case is sent as this role.
    headers = {"X-CSRFToken": cookies["csrftoken"]} if "csrftoken" in cookies else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations.add(operation.label)
        for mode in CHECKS_BY_MODE:
            strategy = operation.as_strategy(generation_mode=mode, cookies=cookies, headers=headers)
            _fuzz_operation(strategy, operation.label, mode, base_url, role, tally, examples, hypothesis_seed)


def _fuzz_operation(
    strategy: SearchStrategy[schemathesis.Case],
    label: str,
    mode: GenerationMode,
    base_url: str,
    role: str,
    tally: Tally,
    examples: int,
    hypothesis_seed: int,
) -> None:
    @seed(hypothesis_seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        tally.cases[role] += 1
        response = case.call(base_url=base_url, timeout=60)
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS_BY_MODE[mode])
        except FailureGroup as group:
            for failure in group.exceptions:
                check = f"{type(failure).__name__}: {failure.title}"
                tally.add(
                    Finding(role, label, mode.value, check, response.status_code, _curl(case, base_url))
                )

    with contextlib.suppress(Unsatisfiable):  # an operation without inputs has nothing to negate
        run()


def _curl(case: schemathesis.Case, base_url: str) -> str:
    command = case.as_curl_command(base_url=base_url)
    return re.sub(r"sessionid=[^;'\"]+", "sessionid=…", command)


def report(tally: Tally, roles: list[str], examples: int, seconds: float) -> list[str]:
    """The lines printed at the end of the test run."""
    total = sum(tally.cases.values())
    lines = [
        f"schemathesis {schemathesis.__version__}: {len(tally.operations)} operations × {len(roles)} roles "
        f"({', '.join(roles)}) × 2 modes × ≤{examples} examples = {total} cases in {seconds:.0f} s; "
        f"failures {len(tally.findings)}",
        "cases by role: " + ", ".join(f"{r} {tally.cases[r]}" for r in roles),
        "statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())),
    ]
    for f in tally.findings.values():
        lines.append(f"FAILED {f.role} {f.operation} [{f.mode}] {f.check} -> {f.status}\n    {f.example}")
    return lines
