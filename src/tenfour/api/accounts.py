"""Staff accounts run by an administrator over HTTP (the same as `tenfour user ...`).

Admin role only. Every change is journaled as an `audit.account` event: who did it
(`user`), to which account (`target`), what (`outcome`), from where (`source`). An
administrator may not disable or remove his own account (another admin, or the
command line, can), so the last way in is never closed by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from tenfour.accounts import Account, AccountStatus, UnknownAccountError, generate_password
from tenfour.api.auth import require, source_of
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/accounts", tags=["accounts"])
Rt = Annotated[Runtime, Depends(runtime)]
Admin = Annotated[Account, Depends(require("admin"))]
Username = Annotated[str, Path(min_length=1, max_length=64, description="the username")]


class SourceLock(BaseModel):
    source: str = Field(description="the address locked out of this account")
    until: str


class AccountOut(BaseModel):
    username: str
    role: str
    member: str | None
    created_at: str
    disabled: bool
    disabled_at: str | None
    last_login_at: str | None
    password_changed_at: str
    locked_until: str | None = Field(description="locked for everyone until then")
    locked_sources: list[SourceLock] = Field(description="sources locked out of it alone")
    sessions: int = Field(description="live sessions")


class AccountChange(BaseModel):
    account: AccountOut
    sessions_ended: int = 0
    password: str | None = Field(
        default=None, description="the generated password, shown only in this answer"
    )


class NewAccount(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=32)
    member: str | None = Field(default=None, max_length=64)
    password: str | None = Field(
        default=None, max_length=1024, description="left out: one is generated and returned once"
    )


class NewPassword(BaseModel):
    password: str | None = Field(
        default=None, max_length=1024, description="left out: one is generated and returned once"
    )


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _out(status: AccountStatus) -> AccountOut:
    account = status.account
    return AccountOut(
        username=account.username,
        role=account.role,
        member=account.member,
        created_at=_when(account.created_at) or "",
        disabled=status.disabled_at is not None,
        disabled_at=_when(status.disabled_at),
        last_login_at=_when(status.last_login_at),
        password_changed_at=_when(status.password_changed_at) or "",
        locked_until=_when(status.locked_until),
        locked_sources=[
            SourceLock(source=source, until=_when(until) or "")
            for source, until in status.locked_sources
        ],
        sessions=status.sessions,
    )


def _status(rt: Runtime, username: str) -> AccountStatus:
    status = rt.accounts.status(
        username,
        now=rt.now(),
        idle=rt.settings.session_idle,
        lifetime=rt.settings.session_lifetime,
    )
    if status is None:
        raise HTTPException(404, f"no account {username!r}")
    return status


def _audit(
    rt: Runtime, request: Request, admin: Account, target: str, what: str, detail: str
) -> None:
    rt.audit("account", admin.username, what, source_of(request), detail, target=target)


def _not_yourself(admin: Account, username: str, what: str) -> None:
    if admin.username == username.lower():
        raise HTTPException(
            409, f"an administrator may not {what} his own account (another admin or the CLI can)"
        )


@router.get("", response_model=list[AccountOut], responses=ERROR_RESPONSES)
def list_accounts(rt: Rt, admin: Admin) -> list[AccountOut]:
    """Every account: role, locks, disabled or not, live sessions."""
    statuses = rt.accounts.statuses(
        now=rt.now(), idle=rt.settings.session_idle, lifetime=rt.settings.session_lifetime
    )
    return [_out(status) for status in statuses]


@router.post("", status_code=201, response_model=AccountChange, responses=ERROR_RESPONSES)
def create_account(body: NewAccount, request: Request, rt: Rt, admin: Admin) -> AccountChange:
    """A new account; without a password one is generated and returned once."""
    password = body.password if body.password is not None else generate_password()
    account = rt.accounts.create(
        body.username, body.role, password, member=body.member, now=rt.now()
    )
    _audit(rt, request, admin, account.username, "created", f"role {account.role}")
    return AccountChange(
        account=_out(_status(rt, account.username)),
        password=password if body.password is None else None,
    )


@router.get("/{username}", response_model=AccountOut, responses=ERROR_RESPONSES)
def get_account(username: Username, rt: Rt, admin: Admin) -> AccountOut:
    return _out(_status(rt, username))


@router.post("/{username}/password", response_model=AccountChange, responses=ERROR_RESPONSES)
def set_password(
    username: Username, body: NewPassword, request: Request, rt: Rt, admin: Admin
) -> AccountChange:
    """Set a new password (generated when left out): unlocks the account and ends all
    of its sessions."""
    _status(rt, username)  # 404 first, before a password is checked or made
    password = body.password if body.password is not None else generate_password()
    ended = rt.accounts.set_password(username, password, now=rt.now())
    status = _status(rt, username)
    _audit(rt, request, admin, status.account.username, "password_set", f"{ended} sessions ended")
    return AccountChange(
        account=_out(status),
        sessions_ended=ended,
        password=password if body.password is None else None,
    )


@router.post("/{username}/disable", response_model=AccountChange, responses=ERROR_RESPONSES)
def disable_account(username: Username, request: Request, rt: Rt, admin: Admin) -> AccountChange:
    """Refuse its logins and end its sessions at once (a lost or stolen device)."""
    _not_yourself(admin, username, "disable")
    ended = _known(lambda: rt.accounts.disable(username, now=rt.now()), username)
    status = _status(rt, username)
    _audit(rt, request, admin, status.account.username, "disabled", f"{ended} sessions ended")
    return AccountChange(account=_out(status), sessions_ended=ended)


@router.post("/{username}/enable", response_model=AccountChange, responses=ERROR_RESPONSES)
def enable_account(username: Username, request: Request, rt: Rt, admin: Admin) -> AccountChange:
    was = _known(lambda: rt.accounts.enable(username), username)
    status = _status(rt, username)
    _audit(
        rt, request, admin, status.account.username, "enabled", "" if was else "was not disabled"
    )
    return AccountChange(account=_out(status))


@router.post("/{username}/unlock", response_model=AccountChange, responses=ERROR_RESPONSES)
def unlock_account(username: Username, request: Request, rt: Rt, admin: Admin) -> AccountChange:
    """Clear every lockout of the account: for everyone and for each source."""
    was = _known(lambda: rt.accounts.unlock(username, now=rt.now()), username)
    status = _status(rt, username)
    _audit(rt, request, admin, status.account.username, "unlocked", "" if was else "was not locked")
    return AccountChange(account=_out(status))


@router.post("/{username}/revoke-sessions", response_model=AccountChange, responses=ERROR_RESPONSES)
def revoke_sessions(username: Username, request: Request, rt: Rt, admin: Admin) -> AccountChange:
    """End every session of the account now (its password still works)."""
    status = _status(rt, username)
    ended = rt.accounts.close_sessions_of(status.account.username)
    _audit(
        rt, request, admin, status.account.username, "sessions_revoked", f"{ended} sessions ended"
    )
    return AccountChange(account=_out(_status(rt, username)), sessions_ended=ended)


@router.delete("/{username}", status_code=204, responses=ERROR_RESPONSES)
def remove_account(username: Username, request: Request, rt: Rt, admin: Admin) -> Response:
    """Remove the account and its sessions."""
    _not_yourself(admin, username, "remove")
    status = _status(rt, username)
    rt.accounts.delete(status.account.username)
    _audit(rt, request, admin, status.account.username, "removed", f"role {status.account.role}")
    return Response(status_code=204)


T = TypeVar("T")


def _known(call: Callable[[], T], username: str) -> T:
    try:
        return call()
    except UnknownAccountError:
        raise HTTPException(404, f"no account {username!r}") from None
