"""Who is asking: sessions from a cookie (browsers) or a bearer token (programs).

Logins, logouts, failures, locks and permission denials are journaled through the
service, with time, user, source address, action and outcome.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from tenfour.accounts import Account
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.api.schemas import LoginRequest, Me
from tenfour.domain.values import Actor

COOKIE = "tenfour_session"
router = APIRouter(prefix="/api", tags=["accounts"])


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE)


def source_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def current_account(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> Account:
    token = token_of(request)
    account = (
        rt.accounts.session(token, now=rt.now(), idle=rt.settings.session_idle) if token else None
    )
    if account is None:
        raise HTTPException(
            401,
            "log in first (or the session ended after 30 idle minutes)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


def actor_of(account: Account) -> Actor:
    return Actor(account.role, account.member or account.username)


def require(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that lets only ``roles`` through, journaling every denial."""

    async def check(
        request: Request, account: CurrentAccount, rt: Annotated[Runtime, Depends(runtime)]
    ) -> Account:
        if account.role not in roles:
            rt.audit(
                "denied",
                account.username,
                "denied",
                source_of(request),
                f"{request.method} {request.url.path} needs {', '.join(roles)}",
            )
            raise HTTPException(
                403, f"role {account.role} may not do this (allowed: {', '.join(roles)})"
            )
        return account

    return check


@router.post("/login", response_model=Me, responses=ERROR_RESPONSES)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Me:
    """Log in: sets an HttpOnly session cookie and returns a bearer token for programs."""
    now = rt.now()
    source = source_of(request)
    outcome = rt.accounts.authenticate(
        body.username,
        body.password,
        now=now,
        max_failures=rt.settings.max_failed_logins,
        lock_for=rt.settings.lock_for,
    )
    if not outcome.ok or outcome.account is None:
        rt.audit(
            "login_failed",
            body.username,
            outcome.reason,
            source,
            f"{outcome.failures} consecutive failures",
        )
        if outcome.locked_now:
            rt.audit("locked", body.username, f"locked until {outcome.locked_until}", source, None)
        if outcome.reason == "locked":
            raise HTTPException(
                401, "the account is locked after too many failed logins; try later"
            )
        raise HTTPException(401, "wrong username or password")
    account = outcome.account
    token = rt.accounts.open_session(account.username, now=now)
    rt.audit("login", account.username, "ok", source, f"role {account.role}")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=rt.settings.secure_cookies,
        max_age=int(rt.settings.session_idle.total_seconds()) * 48,
        path="/",
    )
    return Me(username=account.username, role=account.role, member=account.member, token=token)


@router.post("/logout", status_code=204, responses=ERROR_RESPONSES)
def logout(
    request: Request,
    response: Response,
    account: CurrentAccount,
    rt: Annotated[Runtime, Depends(runtime)],
) -> None:
    token = token_of(request)
    if token:
        rt.accounts.close_session(token)
    rt.audit("logout", account.username, "ok", source_of(request), None)
    response.delete_cookie(COOKIE, path="/")


@router.get("/me", response_model=Me, responses=ERROR_RESPONSES)
def me(account: CurrentAccount) -> Me:
    return Me(username=account.username, role=account.role, member=account.member)
