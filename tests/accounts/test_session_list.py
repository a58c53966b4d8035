"""`AccountStore.sessions`: the live sessions an administrator lists (GET /api/sessions),
on every backend: the same ones `status` counts, and never their tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tenfour.accounts import AccountStore, SessionInfo

from .support import PASSWORD, T0, at


def key(token: str) -> str:
    """A session's id as listed: the start of its token's SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def test_sessions_lists_the_live_ones_by_user_then_age(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("bogo", "supervisor", PASSWORD, now=T0)
    stale = store.open_session("hopps", now=T0)  # idles out: 30 min without use
    first = store.open_session("hopps", now=at(minutes=5))
    chief = store.open_session("bogo", now=at(minutes=10))
    second = store.open_session("hopps", now=at(minutes=20))
    assert store.session(first, now=at(minutes=25)) is not None  # used: stays
    now = at(minutes=34)
    listed = store.sessions(now=now)
    assert listed == [
        SessionInfo(key(chief), "bogo", at(minutes=10), at(minutes=10)),
        SessionInfo(key(first), "hopps", at(minutes=5), at(minutes=25)),
        SessionInfo(key(second), "hopps", at(minutes=20), at(minutes=20)),
    ]
    assert key(stale) not in {s.id for s in listed}
    assert all(token not in repr(listed) for token in (stale, first, chief, second))
    # exactly the sessions `status` counts
    counts = {s.account.username: s.sessions for s in store.statuses(now=now)}
    assert counts == {"bogo": 1, "hopps": 2}


def test_sessions_past_their_lifetime_or_of_a_disabled_account_are_not_listed(
    store: AccountStore,
) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("wilde", "officer", PASSWORD, now=T0)
    old = store.open_session("hopps", now=T0)
    for minutes in range(20, 60 * 12, 20):  # in use all along, but 12 h is the most
        store.session(old, now=at(minutes=minutes), idle=timedelta(hours=1))
    store.open_session("wilde", now=at(hours=12))
    store.disable("wilde", now=at(hours=12))
    assert [
        s.username for s in store.sessions(now=at(hours=11, minutes=59), idle=timedelta(hours=1))
    ] == ["hopps"]
    assert store.sessions(now=at(hours=12, minutes=1), idle=timedelta(hours=1)) == []
