"""Who is asking: sessions from a cookie (browsers) or a bearer token (programs).

Also what a logged-in person does to their own account (`POST /api/me/password`)
and the administrator's list of live sessions (`GET /api/sessions`).

Logins, logouts, failures, locks, password changes and permission denials are
journaled through the service, with time, user, source address, action and outcome.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tenfour.accounts import Account, AccountError
from tenfour.accounts.model import PASSWORD_MAX, PASSWORD_MIN, SOURCE_MAX, LoginOutcome
from tenfour.accounts.sql import token_hash
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, error_response
from tenfour.api.limits import TrustedProxies, client_address
from tenfour.api.lockout import ShadowLocks
from tenfour.api.schemas import LoginRequest, Me
from tenfour.domain.commands import NO_NUL
from tenfour.domain.errors import Problem
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


def session_accounts(rt: Runtime, tokens: Iterable[str]) -> dict[str, Account | None]:
    """``session_account`` for several tokens in one lookup (a batch of commands from
    many consoles), each answered as it would be alone."""
    return rt.accounts.sessions_for(
        tokens,
        now=rt.now(),
        idle=rt.settings.session_idle,
        lifetime=rt.settings.session_lifetime,
    )


def set_session_cookie(response: Response, token: str, request: Request, rt: Runtime) -> None:
    """Give the browser the session ``token``: out of the pages' scripts' reach
    (HttpOnly), never sent by another site's request (SameSite strict), kept as long
    as a session may live."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, rt),
        max_age=int(rt.settings.session_lifetime.total_seconds()),
        path="/",
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
    return logged_in(session_account(rt, token_of(request)))


def logged_in(account: Account | None) -> Account:
    """The account of a live session, or the 401 that asks to log in."""
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


_shadow_guard = threading.Lock()


def shadow_locks(request: Request, rt: Runtime) -> ShadowLocks:
    """This server's lockouts of names the account store cannot lock (api.lockout),
    made on first use with the server's lockout settings."""
    state = request.app.state
    with _shadow_guard:
        shadow: ShadowLocks | None = getattr(state, "shadow_locks", None)
        if shadow is None:
            settings = rt.settings
            shadow = ShadowLocks(
                settings.max_failed_logins, settings.lock_for, settings.lock_sources
            )
            state.shadow_locks = shadow
        return shadow


def _wait(seconds: int) -> str:
    return f"{seconds} s" if seconds < 60 else f"{math.ceil(seconds / 60)} min"


def locked_response(until: datetime, now: datetime) -> JSONResponse:
    """The answer to a login of a locked name: 401 as any refusal, saying until when
    (also as Retry-After), and the same for every name locked at the same time."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    at = until.astimezone(UTC).strftime("%H:%M:%S")
    reason = f"too many failed logins for this username; try again in {_wait(seconds)}"
    response = error_response(
        401, "unauthenticated", f"{reason} (at {at} UTC)", [Problem("username", reason)]
    )
    response.headers["Retry-After"] = str(seconds)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _store_lock(rt: Runtime, username: str, source: str, now: datetime) -> datetime | None:
    """The store's lock of an account against `source` (for everyone, else for that
    source alone), as its login refusal would name it; None if none holds."""
    status = rt.accounts.status(
        username, now=now, idle=rt.settings.session_idle, lifetime=rt.settings.session_lifetime
    )
    if status is None:
        return None
    if status.locked_until is not None and status.locked_until > now:
        return status.locked_until
    stored = source[:SOURCE_MAX]
    held = [until for where, until in status.locked_sources if where == stored and until > now]
    return max(held, default=None)


def _check_password(
    rt: Runtime, username: str, password: str, source: str, now: datetime, *, throttled: str
) -> LoginOutcome:
    """Throttle failed checks per source (429 before any hashing), then check the
    password against the store, counting a failure toward the account's lock."""
    throttle = rt.login_throttle
    refusal = throttle.take(source, now) if throttle is not None else None
    if refusal is not None:
        if refusal.first:  # once per episode: a flood must not flood the journal too
            rt.audit("throttled", username, "refused", source, throttled)
        raise HTTPException(
            429,
            f"too many failed logins from here; try again in {refusal.retry_after_s} s",
            headers={"Retry-After": str(refusal.retry_after_s)},
        )
    settings = rt.settings
    return rt.accounts.authenticate(
        username,
        password,
        now=now,
        source=source,
        max_failures=settings.max_failed_logins,
        lock_for=settings.lock_for,
        lock_sources=settings.lock_sources,
    )


@router.post("/login", response_model=Me, responses=ERROR_RESPONSES)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Me | JSONResponse:
    """Log in: sets an HttpOnly session cookie and returns a bearer token for programs.

    Every refusal (unknown name, wrong password, disabled) is the same 401 with the
    same message after the same hashing work, so none tells whether an account
    exists. A locked name is told so, with until when (Retry-After): the real
    account's lock, or for a name with no account (or a disabled one) the same lock
    kept here by the same rules (api.lockout), so that too tells nothing. Failed
    logins are also throttled per source (429 with Retry-After) before any password
    is hashed, whatever the name."""
    now = rt.now()
    source = source_of(request)
    settings = rt.settings
    capacity = rt.login_throttle.capacity if rt.login_throttle else 0
    outcome = _check_password(
        rt,
        body.username,
        body.password,
        source,
        now,
        throttled=f"more than {capacity} failed logins in a burst",
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
        locked_until = outcome.locked_until
        if outcome.reason in ("unknown_user", "disabled"):
            # A disabled account's lock from before still holds (and counts nothing
            # more), as it would for a made-up name with the same history. Asked for
            # an unknown name too: the same work, so no timing sets the two apart.
            locked_until = _store_lock(rt, body.username, source, now)
            if locked_until is None:
                # The store counts no failure of these: lock them as a real one.
                locked_until = shadow_locks(request, rt).fail(body.username, source, now)
        if locked_until is not None and locked_until > now:
            return locked_response(locked_until, now)
        minutes = max(1, round(settings.lock_for.total_seconds() / 60))
        raise HTTPException(
            401, f"wrong username or password, or too many failed logins (then wait {minutes} min)"
        )
    if rt.login_throttle is not None:
        rt.login_throttle.give_back(source, now)  # only failures use up the source's budget
    account = outcome.account
    token = rt.accounts.open_session(account.username, now=now)
    rt.audit("login", account.username, "ok", source, f"role {account.role}")
    set_session_cookie(response, token, request, rt)
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


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SessionOut(BaseModel):
    id: str = Field(description="the first 16 hex digits of the token's SHA-256 (not the token)")
    username: str
    role: str | None = Field(description="its account's role")
    created_at: str = Field(description="when it logged in")
    last_used_at: str
    expires_at: str = Field(description="when it ends unless used before (idle or lifetime)")
    current: bool = Field(description="the session asking")


@router.get("/sessions", response_model=list[SessionOut], responses=ERROR_RESPONSES)
def list_sessions(
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
    admin: Annotated[Account, Depends(require("admin"))],
) -> list[SessionOut]:
    """Every live session (admin only): whose, since when, last used, when it will
    end. End an account's sessions with `POST /api/accounts/{username}/revoke-sessions`.
    (Here, not under /api/accounts/, where it would hide an account named "sessions".)"""
    now, idle, lifetime = rt.now(), rt.settings.session_idle, rt.settings.session_lifetime
    roles = {account.username: account.role for account in rt.accounts.list()}
    token = token_of(request)
    mine = token_hash(token)[:16] if token else None
    return [
        SessionOut(
            id=session.id,
            username=session.username,
            role=roles.get(session.username),
            created_at=_when(session.created_at),
            last_used_at=_when(session.last_used_at),
            # From the stored last use: when the server ends it unless it is used again.
            expires_at=_when(min(session.last_used_at + idle, session.created_at + lifetime)),
            current=session.id == mine,
        )
        for session in rt.accounts.sessions(now=now, idle=idle, lifetime=lifetime)
    ]


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)
    new_password: str = Field(
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
        pattern=NO_NUL,
        description="12+ characters, not a common or guessable password, not the username",
    )


class PasswordChanged(BaseModel):
    username: str
    sessions_ended: int = Field(description="the account's other sessions, now ended")
    token: str = Field(description="this session's new bearer token (the cookie is renewed)")


@router.post("/me/password", response_model=PasswordChanged, responses=ERROR_RESPONSES)
def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    account: CurrentAccount,
    rt: Annotated[Runtime, Depends(runtime)],
) -> PasswordChanged | JSONResponse:
    """Change one's own password: the current one, then the new one (the password
    policy applies: 12+ characters, not a common or guessable one).

    A wrong current password (403) counts as a failed login (an unattended console
    must not be a way to guess it), throttled and locked alike (429 with
    Retry-After); a right one counts as a login (the account's last login is now).
    On success every session of the account ends, whoever had the old password is
    out, and this one is reissued at once: a new cookie and a new bearer token, so
    the person who changed it stays logged in here and only here. Journaled as an
    `audit.account` event."""
    now = rt.now()
    source = source_of(request)
    outcome = _check_password(
        rt,
        account.username,
        body.current_password,
        source,
        now,
        throttled="too many failed password checks in a burst",
    )
    if not outcome.ok:
        rt.audit(
            "login_failed", account.username, outcome.reason, source, "current password checked"
        )
        if outcome.locked_now:
            rt.audit(
                "locked", account.username, f"locked until {outcome.locked_until}", source, None
            )
        if outcome.locked_until is not None and outcome.locked_until > now:
            seconds = max(1, math.ceil((outcome.locked_until - now).total_seconds()))
            reason = f"too many failed attempts; try again in {_wait(seconds)}"
            answer = error_response(
                429,
                "rate_limited",
                f"current_password: {reason}",
                [Problem("current_password", reason, "forbidden")],
            )
            answer.headers["Retry-After"] = str(seconds)
            return answer
        # 403, not 401: the session is fine (a 401 sends a page back to the login).
        reason = "is not your current password"
        return error_response(
            403,
            "forbidden",
            f"current_password: {reason}",
            [Problem("current_password", reason, "forbidden")],
        )
    if rt.login_throttle is not None:
        rt.login_throttle.give_back(source, now)
    if body.new_password == body.current_password:
        reason = "is the current password; choose a new one"
        return error_response(
            422, "invalid", f"new_password: {reason}", [Problem("new_password", reason)]
        )
    try:
        ended = rt.accounts.set_password(account.username, body.new_password, now=now)
    except AccountError as problem:
        if problem.field != "password":
            raise
        return error_response(
            422,
            "invalid",
            f"new_password: {problem.reason}",
            [Problem("new_password", problem.reason)],
        )
    token = rt.accounts.open_session(account.username, now=now)
    others = max(0, ended - 1)  # the ended ones counted this session too
    rt.audit(
        "account",
        account.username,
        "password_changed",
        source,
        f"by the account itself; {others} other sessions ended",
        target=account.username,
    )
    set_session_cookie(response, token, request, rt)
    return PasswordChanged(username=account.username, sessions_ended=others, token=token)
