"""`AccountStore.sessions_for`: a batch of commands looks its sessions up together, on
every backend, and each token gets the answer `session` would give it alone: the
same expiries, the same deletions, the same last-use writes."""

from __future__ import annotations

import hashlib

from tenfour.accounts import AccountStore

from .support import PASSWORD, T0, Backend, at


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_each_token_is_answered_as_it_would_be_alone(store: AccountStore, backend: Backend) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    bogo = store.create("bogo", "supervisor", PASSWORD, now=T0)
    store.create("wilde", "officer", PASSWORD, now=T0)
    old = store.open_session("hopps", now=at(hours=-12, minutes=-1))  # past its lifetime
    idle = store.open_session("hopps", now=at(minutes=-31))  # idle too long
    stale = store.open_session("bogo", now=at(minutes=-1))  # live, last use 60 s ago
    fresh = store.open_session("hopps", now=at(seconds=-10))  # live, used just now
    disabled = store.open_session("wilde", now=at(seconds=-5))
    backend.query(
        "UPDATE accounts SET disabled_at = ? WHERE username = 'wilde'",
        ["2026-11-24T14:07:29.000000Z"],
    )
    tokens = [old, idle, stale, fresh, disabled, "unknown", "", "x" * 10_000, fresh]

    found = store.sessions_for(tokens, now=T0)

    assert found == {
        old: None,
        idle: None,
        stale: bogo,
        fresh: hopps,
        disabled: None,
        "unknown": None,
        "": None,
        "x" * 10_000: None,
    }
    # Ended sessions are deleted, as `session` deletes them; the live ones stay.
    left = {row[0] for row in backend.query("SELECT token_hash FROM sessions")}
    assert left == {_hash(stale), _hash(fresh)}
    # Last use written for the session not touched for 30 s or more, not the other.
    used = dict(backend.query("SELECT token_hash, last_used_at FROM sessions"))
    assert str(used[_hash(stale)]).startswith("2026-11-24T14:07:30")
    assert str(used[_hash(fresh)]).startswith("2026-11-24T14:07:20")


def test_no_tokens_no_query(store: AccountStore) -> None:
    assert store.sessions_for([], now=T0) == {}


def test_more_tokens_than_one_in_list_holds(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    tokens = [store.open_session("hopps", now=at(minutes=-1)) for _ in range(1_200)]
    unknown = [f"nobody-{n}" for n in range(300)]

    found = store.sessions_for([*tokens, *unknown], now=T0)

    assert [found[t] for t in tokens] == [hopps] * len(tokens)
    assert all(found[t] is None for t in unknown)
    assert all(store.session(t, now=at(seconds=1), touch=False) == hopps for t in tokens)


def test_touch_false_writes_nothing(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=at(minutes=-5))
    before = backend.query("SELECT last_used_at FROM sessions")
    assert store.sessions_for([token], now=T0, touch=False)[token] is not None
    assert backend.query("SELECT last_used_at FROM sessions") == before
