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
from tenfour.api.limits import TrustedProxies, client_address
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
    # The peer, or behind a trusted proxy its X-Forwarded-For client (api.limits).
    return client_address(request.scope)


def session_account(rt: Runtime, token: str | None, *, touch: bool = True) -> Account | None:
    """The account of a live session: not idle too long, not past its lifetime, its
    account not disabled (every check of a session goes through here). ``touch=False``
    looks without counting as use (the live feed re-checking its session)."""
    if not token:
        return None
    return rt.accounts.session(
        token,
        now=rt.now(),
        idle=rt.settings.session_idle,
        lifetime=rt.settings.session_lifetime,
        touch=touch,
    )


def secure_cookies(request: Request, rt: Runtime) -> bool:
    """Whether cookies get the Secure flag: as configured, else when the request came
    over https (TLS here, or a trusted proxy that says so in X-Forwarded-Proto)."""
    configured = rt.settings.secure_cookies
    if configured is not None:
        return configured
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    peer = request.client.host if request.client else ""
    return proto == "https" and TrustedProxies(rt.settings.trusted_proxies).trusts(peer)


# Sync: FastAPI runs it on a worker thread, so a slow database never stalls the loop.
def current_account(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> Account:
    account = session_account(rt, token_of(request))
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

    def check(  # sync, off the event loop: a denial is journaled
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
    """Log in: sets an HttpOnly session cookie and returns a bearer token for programs.

    Every refusal (unknown name, wrong password, locked, disabled) is the same 401
    with the same message after the same hashing work, so none tells whether an
    account exists. Failed logins are throttled per source (429 with Retry-After)
    before any password is hashed."""
    now = rt.now()
    source = source_of(request)
    settings = rt.settings
    throttle = rt.login_throttle
    refusal = throttle.take(source, now) if throttle is not None else None
    if refusal is not None:
        if refusal.first:  # once per episode: a flood must not flood the journal too
            rt.audit(
                "throttled",
                body.username,
                "refused",
                source,
                f"more than {throttle.capacity if throttle else 0} failed logins in a burst",
            )
        raise HTTPException(
            429,
            f"too many failed logins from here; try again in {refusal.retry_after_s} s",
            headers={"Retry-After": str(refusal.retry_after_s)},
        )
    outcome = rt.accounts.authenticate(
        body.username,
        body.password,
        now=now,
        source=source,
        max_failures=settings.max_failed_logins,
        lock_for=settings.lock_for,
        lock_sources=settings.lock_sources,
    )
    if not outcome.ok or outcome.account is None:
        rt.audit(
            "login_failed",
            body.username,
            outcome.reason,
            source,
            f"{outcome.failures} recent failures from this source",
        )
        if outcome.locked_now:
            scope = "everywhere" if outcome.locked_scope == "account" else f"from {source}"
            rt.audit(
                "locked",
                body.username,
                f"locked {scope} until {outcome.locked_until}",
                source,
                None,
            )
        minutes = max(1, round(settings.lock_for.total_seconds() / 60))
        raise HTTPException(
            401, f"wrong username or password, or too many failed logins (then wait {minutes} min)"
        )
    if throttle is not None:
        throttle.give_back(source, now)  # only failures use up the source's budget
    account = outcome.account
    token = rt.accounts.open_session(account.username, now=now)
    rt.audit("login", account.username, "ok", source, f"role {account.role}")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, rt),
        max_age=int(settings.session_lifetime.total_seconds()),
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
