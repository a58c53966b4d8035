"""The public tip line: no account, rate-limited, and nothing kept that identifies
an anonymous tipster (no address, no header); a tracking code to follow it up.

The rate limit (per address, as a salted hash in memory) and the 64 KB body cap are
applied by ``api.limits.RequestLimits`` before the body is read: a flood of junk
tips costs a 429 each, never a parse."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.api.schemas import TipReceipt, TipRequest, TipStatus
from tenfour.domain.commands import parse_command
from tenfour.domain.values import Actor

router = APIRouter(prefix="/api/tips", tags=["public"], responses=ERROR_RESPONSES)
PUBLIC = Actor("public", "public")


@router.post("", response_model=TipReceipt, status_code=201)
def submit_tip(body: TipRequest, rt: Annotated[Runtime, Depends(runtime)]) -> Any:
    """Submit a tip. Keep the tracking code: it is the only way to follow the tip up.
    At most ``tips_per_window`` tips per address per window, counted before the body is
    read (429 beyond), and at most 64 KB (413)."""
    payload = body.model_dump(exclude_none=True)
    handled = rt.service.handle(parse_command("tip.submit", payload, PUBLIC))
    received = handled.events[0].data
    placed = None if body.location is None else "location" in received
    return {"tracking_code": received["tracking_code"], "status": "received", "placed": placed}


@router.get("/{code}", response_model=TipStatus)
def tip_status(
    code: Annotated[str, Path(min_length=4, max_length=40)],
    rt: Annotated[Runtime, Depends(runtime)],
) -> Any:
    """What became of a tip: received, promoted (to an incident) or dismissed. Nothing else."""
    with rt.service.locked():
        tip_id = rt.service.state.tips_by_code.get(code.upper())
        if tip_id is None:
            raise HTTPException(404, "no tip with that tracking code")
        return {"status": rt.service.state.tips[tip_id].status}
