"""The analyst's reports: ``GET /api/reports/intervals``, the districts it may group by
(``GET /api/reports/districts``), and the ``/reports`` page.

The figures are ``tenfour.reports.intervals``' (the same as ``tenfour report`` and
the replay's). The server keeps one fold of its journal and, per request, folds only
the events journaled since the last one, so a report costs the figures, not a
re-read of the whole journal.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tenfour.accounts import Account
from tenfour.api.auth import require, session_account, source_of, token_of
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, error_response
from tenfour.api.web import _page, _to_login
from tenfour.domain.errors import Problem
from tenfour.reports.intervals import (
    GROUPS,
    District,
    IntervalFold,
    ReportError,
    fold_store,
    load_districts,
    parse_by,
    summarise,
)

#: Who may read reports: analysts, and those who answer for the center's times.
ANALYSTS = ("analyst", "supervisor", "admin")

router = APIRouter(tags=["reports"], responses=ERROR_RESPONSES)
Rt = Annotated[Runtime, Depends(runtime)]
Analyst = Annotated[Account, Depends(require(*ANALYSTS))]

_folds: weakref.WeakKeyDictionary[object, tuple[threading.Lock, IntervalFold]] = (
    weakref.WeakKeyDictionary()
)
_folds_lock = threading.Lock()


def current_fold(rt: Runtime) -> tuple[threading.Lock, IntervalFold]:
    """This server's fold of its journal, brought up to the journal's head."""
    store = rt.service.store
    with _folds_lock:
        entry = _folds.get(store)
        if entry is None:
            entry = _folds[store] = (threading.Lock(), IntervalFold())
    lock, fold = entry
    with lock:
        fold_store(store, fold)
    return entry


#: ``by``: grouping names, comma-separated (district needs ``tenfour serve --districts``).
BY_PATTERN = "^({0})(,({0}))*$".format("|".join(GROUPS))

_districts: dict[str, list[District]] = {}


def districts_of(rt: Runtime) -> list[District]:
    """The server's districts (``tenfour serve --districts``), read once; none if unset."""
    path = rt.settings.report_districts
    if path is None:
        return []
    if path not in _districts:
        _districts[path] = load_districts(path)
    return _districts[path]


def _utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/api/reports/intervals")
def intervals(
    rt: Rt,
    account: Analyst,
    start: Annotated[
        datetime | None,
        Query(alias="from", description="ISO 8601 date or date and time, UTC unless zoned"),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(alias="to", description="end, not included (ISO 8601); at or before from: empty"),
    ] = None,
    by: Annotated[
        str | None,
        Query(max_length=200, pattern=BY_PATTERN, description="comma-separated grouping names"),
    ] = None,
) -> Any:
    """Call-processing, turnout, travel and total response times of incidents received
    in [from, to): medians, 90th percentiles and shares within the NFPA targets,
    overall and grouped; every incident with incomplete or inconsistent times listed.
    Grouping by district needs the server's districts (``tenfour serve --districts``):
    without them, 409."""
    try:
        polygons = districts_of(rt) if by and "district" in by.split(",") else []
        groups = parse_by(by, districts=bool(polygons))
    except ReportError as error:
        if error.field == "by" and "districts file" in error.reason:
            # a well-formed request this server is not set up for: 409, not 422
            reason = f"{error.reason} (the server has none: tenfour serve --districts FILE)"
            problem = Problem("query.by", reason, "conflict")
            return error_response(409, "conflict", f"by: {reason}", [problem])
        problem = Problem(f"query.{error.field}", error.reason)
        return error_response(422, "invalid", str(error), [problem])
    lock, fold = current_fold(rt)
    with lock:
        return summarise(fold, start=_utc(start), end=_utc(end), by=groups, districts=polygons)


class DistrictsOut(BaseModel):
    districts: list[str] = Field(
        description="the names ``by=district`` groups into, in the file's order; none "
        "when the server has no districts (``tenfour serve --districts``)"
    )


@router.get("/api/reports/districts", response_model=DistrictsOut)
def districts(rt: Rt, account: Analyst) -> DistrictsOut:
    """The districts the server groups reports by, so a page offers the grouping only
    where the server can answer it."""
    return DistrictsOut(districts=[d.name for d in districts_of(rt)])


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, rt: Rt) -> Response:
    """Analysts, supervisors and administrators; anyone else logged in gets 403."""
    account = session_account(rt, token_of(request))
    if account is None:
        return _to_login(request, "/reports")
    if account.role not in ANALYSTS:
        rt.audit(
            "denied", account.username, "denied", source_of(request), "GET /reports needs analyst"
        )
        return _page("forbidden", status_code=403)
    return _page("reports")
