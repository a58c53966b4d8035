"""Property-based run of the whole OpenAPI document against a real server over HTTP.

Every operation gets a few hundred generated requests as an authenticated dispatcher;
none may answer 5xx, and every answer must match the schema the server publishes.
Then every read (GET) again as each role, with fewer examples: a role's answers too
(a 403, or what its need to know leaves in) match the schema, and none carries what
the role may not read (a tipster's contact and tracking code, a name typed at login).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tenfour.accounts import Passwords, open_accounts
from tenfour.api.app import create_app
from tenfour.api.settings import Settings

from .conftest import ROLES
from .live_server import serving

EXAMPLES = 300
#: Per role and read: the run over the whole API above covers the inputs already.
ROLE_EXAMPLES = 25
PASSWORD = "schemathesis-dispatcher-1"
CONTACT = "schemathesis-tipster-contact"
PROBE = "schemathesis-probe-name"
#: Need to know (README, "The server"): who reads tips whole, and who reads audit events.
TIPS_WHOLE = {"calltaker", "dispatcher", "supervisor", "admin"}
AUDIT = {"supervisor", "admin", "analyst"}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("schemathesis") / "tenfour.db"


@pytest.fixture(scope="module")
def server_url(database: Path) -> Iterator[str]:
    # A tip limit high enough that generated tips reach the handler, not only the limiter.
    settings_ = Settings(database=str(database), fast_hashing=True, tips_per_window=10**6)
    with serving(create_app(settings_)) as url:
        yield url


@pytest.fixture(scope="module")
def dispatcher_token(server_url: str, database: Path) -> str:
    # Added the way an operator would (tenfour user add), on the server's own database.
    with open_accounts(str(database), passwords=Passwords.fast()) as accounts:
        accounts.create("fuzz", "dispatcher", PASSWORD, now=datetime.now(UTC))
    answer = httpx.post(f"{server_url}/api/login", json={"username": "fuzz", "password": PASSWORD})
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


# The document is the app's own; no server is needed to read it at collection time.
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(demo=False)).openapi())
OPERATIONS = {
    op.label: op
    for op in (result.ok() for result in SCHEMA.get_all_operations())  # type: ignore[union-attr]
    if op.path != "/api/logout"  # it would end the very session the run is using
}


def _has_input(label: str) -> bool:
    op = OPERATIONS[label]
    return any(len(part) for part in (op.path_parameters, op.query, op.body))


# Valid inputs for every operation; invalid ones wherever there is an input to spoil.
RUNS = [(label, GenerationMode.POSITIVE) for label in sorted(OPERATIONS)] + [
    (label, GenerationMode.NEGATIVE) for label in sorted(OPERATIONS) if _has_input(label)
]


def test_every_operation_is_covered() -> None:
    assert len(OPERATIONS) >= 17
    assert "POST /api/commands" in OPERATIONS
    assert ("POST /api/commands", GenerationMode.NEGATIVE) in RUNS


@pytest.mark.parametrize(("label", "mode"), RUNS, ids=lambda v: getattr(v, "value", v))
def test_no_5xx_and_every_answer_matches_the_schema(
    label: str, mode: GenerationMode, server_url: str, dispatcher_token: str
) -> None:
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {dispatcher_token}"}

    @settings(
        max_examples=EXAMPLES // 2,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(mode))
    def check(case: Any) -> None:
        case.call_and_validate(base_url=server_url, headers=headers)

    check()


@pytest.fixture(scope="module")
def role_tokens(server_url: str, database: Path) -> dict[str, str]:
    """A logged-in account of each role, after a tip with a contact and a failed login."""
    tip = httpx.post(f"{server_url}/api/tips", json={"text": "fuzzed", "contact": CONTACT})
    tip.raise_for_status()
    httpx.post(f"{server_url}/api/login", json={"username": PROBE, "password": "wrong-password"})
    tokens = {"code": tip.json()["tracking_code"]}
    with open_accounts(str(database), passwords=Passwords.fast()) as accounts:
        for role in ROLES:
            member = "fangmeyer" if role == "officer" else None
            accounts.create(f"fuzz-{role}", role, PASSWORD, member=member, now=datetime.now(UTC))
    for role in ROLES:
        answer = httpx.post(
            f"{server_url}/api/login", json={"username": f"fuzz-{role}", "password": PASSWORD}
        )
        answer.raise_for_status()
        tokens[role] = answer.json()["token"]
    return tokens


READS = sorted(label for label in OPERATIONS if label.startswith("GET "))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", READS)
def test_each_role_reads_without_5xx_schema_violations_or_leaks(
    label: str, role: str, server_url: str, role_tokens: dict[str, str]
) -> None:
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {role_tokens[role]}"}
    kept = [] if role in TIPS_WHOLE else [CONTACT, role_tokens["code"]]
    kept += [] if role in AUDIT else [PROBE]

    @settings(
        max_examples=ROLE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        response = case.call_and_validate(base_url=server_url, headers=headers)
        for secret in kept:
            assert secret not in response.text, f"{role} read {secret!r} at {label}"

    check()
