"""The AccountStore contract, run on every backend (see conftest.py)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from argon2 import PasswordHasher

from tenfour.accounts import (
    ACCOUNT_ROLES,
    Account,
    AccountError,
    AccountStore,
    AccountStoreError,
    Passwords,
    UnknownAccountError,
    generate_password,
)
from tenfour.accounts.postgres import PostgresAccountStore
from tenfour.accounts.sqlite import SqliteAccountStore
from tenfour.db import CURRENT, upgrade
from tenfour.journal import NewEvent, open_store

from .support import OTHER_PASSWORD, PASSWORD, T0, WRONG, Backend, at


def _conforms(sqlite: SqliteAccountStore, postgres: PostgresAccountStore) -> list[AccountStore]:
    """Never called: mypy fails here if a backend drifts from the AccountStore protocol."""
    return [sqlite, postgres]


def fail(store: AccountStore, times: int, *, now: datetime, username: str = "hopps") -> None:
    for _ in range(times):
        assert store.authenticate(username, WRONG, now=now).ok is False


# -- accounts -------------------------------------------------------------------------


def test_create_get_and_list(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    bogo = store.create("Bogo", "supervisor", PASSWORD, now=at(minutes=1))

    assert hopps == Account("hopps", "officer", "hopps", T0)
    assert bogo == Account("bogo", "supervisor", None, at(minutes=1))
    assert store.get("hopps") == hopps
    assert store.get("BOGO") == bogo
    assert store.get("wilde") is None
    assert store.get("not a name!") is None
    assert store.list() == [bogo, hopps]


def test_created_at_is_utc_whatever_zone_it_was_given_in(store: AccountStore) -> None:
    local = T0.astimezone(timezone(timedelta(hours=-5)))
    account = store.create("hopps", "officer", PASSWORD, now=local)
    assert account.created_at == T0
    assert account.created_at.utcoffset() == timedelta(0)
    assert store.get("hopps") == account


def test_member_defaults_and_overrides(store: AccountStore) -> None:
    assert store.create("hopps", "officer", PASSWORD, now=T0).member == "hopps"
    assert store.create("wilde", "officer", PASSWORD, member="Z-0417", now=T0).member == "Z-0417"
    assert store.create("clawhauser", "dispatcher", PASSWORD, now=T0).member is None
    assert store.create("bogo", "supervisor", PASSWORD, member="bogo", now=T0).member == "bogo"


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_every_staff_role_is_allowed(store: AccountStore, role: str) -> None:
    member = "ZGH" if role == "hospital" else None  # a hospital account needs its facility
    assert store.create("someone", role, PASSWORD, member=member, now=T0).role == role


def test_a_hospital_account_is_tied_to_its_facility(store: AccountStore) -> None:
    with pytest.raises(
        AccountError, match="member: a hospital account needs its facility"
    ) as caught:
        store.create("zgh-desk", "hospital", PASSWORD, now=T0)
    assert caught.value.field == "member"
    assert store.create("zgh-desk", "hospital", PASSWORD, member="ZGH", now=T0).member == "ZGH"


def test_duplicate_username_is_refused_whatever_its_case(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    for name in ("hopps", "HOPPS", "Hopps"):
        with pytest.raises(AccountError, match="username: already exists") as caught:
            store.create(name, "dispatcher", OTHER_PASSWORD, now=T0)
        assert caught.value.field == "username"
    assert store.list() == [Account("hopps", "officer", "hopps", T0)]


@pytest.mark.parametrize(
    "username",
    ["", "has space", "x" * 65, "émile", "a/b", "tab\t", "kelvin\u212a", "semi;colon"],
)
def test_bad_username_is_refused(store: AccountStore, username: str) -> None:
    with pytest.raises(AccountError) as caught:
        store.create(username, "officer", PASSWORD, now=T0)
    assert caught.value.field == "username"
    assert str(caught.value).startswith("username: ")
    assert store.list() == []


def test_longest_username_is_accepted(store: AccountStore) -> None:
    name = "a" * 64
    assert store.create(name, "analyst", PASSWORD, now=T0).username == name


@pytest.mark.parametrize("role", ["sheriff", "public", "system", "Officer", ""])
def test_bad_role_is_refused(store: AccountStore, role: str) -> None:
    with pytest.raises(AccountError) as caught:
        store.create("hopps", role, PASSWORD, now=T0)
    assert caught.value.field == "role"
    assert f"role: unknown role {role!r} (allowed: officer, calltaker," in str(caught.value)
    assert "public" not in str(caught.value).split("allowed:")[1]
    assert store.get("hopps") is None


def test_short_password_is_refused(store: AccountStore) -> None:
    with pytest.raises(AccountError, match="password: at least 12 characters") as caught:
        store.create("hopps", "officer", "x" * 11, now=T0)
    assert caught.value.field == "password"
    assert store.get("hopps") is None
    assert store.create("hopps", "officer", "tram-7-oak-q", now=T0).username == "hopps"


def test_bad_member_is_refused(store: AccountStore) -> None:
    with pytest.raises(AccountError) as caught:
        store.create("hopps", "officer", PASSWORD, member="no spaces", now=T0)
    assert caught.value.field == "member"


def test_naive_time_is_refused(store: AccountStore) -> None:
    with pytest.raises(ValueError, match="now: must be a timezone-aware datetime"):
        store.create("hopps", "officer", PASSWORD, now=T0.replace(tzinfo=None))
    assert store.get("hopps") is None


def test_password_is_stored_only_as_an_argon2id_hash(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    [(stored,)] = backend.query("SELECT password_hash FROM accounts WHERE username = ?", ["hopps"])
    assert stored.startswith("$argon2id$v=19$")
    # No column of any row of either table holds the password.
    for table in ("accounts", "sessions"):
        for row in backend.query(f"SELECT * FROM {table}"):
            assert all(PASSWORD not in str(value) for value in row)


def test_set_password(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.set_password("HOPPS", OTHER_PASSWORD, now=at(minutes=1))
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=2)).reason == "bad_password"
    assert store.authenticate("hopps", OTHER_PASSWORD, now=at(minutes=2)).ok

    with pytest.raises(AccountError, match="password: at least 12") as caught:
        store.set_password("hopps", "short", now=at(minutes=3))
    assert caught.value.field == "password"
    with pytest.raises(UnknownAccountError, match="username: no account 'wilde'"):
        store.set_password("wilde", OTHER_PASSWORD, now=at(minutes=3))


def test_set_password_unlocks(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail(store, 5, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=T0).reason == "locked"
    store.set_password("hopps", OTHER_PASSWORD, now=at(minutes=1))
    assert store.authenticate("hopps", OTHER_PASSWORD, now=at(minutes=1)).ok


def test_set_role(store: AccountStore) -> None:
    store.create("hopps", "calltaker", PASSWORD, now=T0)
    promoted = store.set_role("hopps", "officer")
    assert promoted == Account("hopps", "officer", "hopps", T0)
    assert store.get("hopps") == promoted
    assert store.set_role("hopps", "supervisor", member="hopps").member == "hopps"
    with pytest.raises(AccountError) as caught:
        store.set_role("hopps", "sheriff")
    assert caught.value.field == "role"
    with pytest.raises(UnknownAccountError):
        store.set_role("wilde", "officer")


def test_delete_removes_the_account_and_its_sessions(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    assert store.delete("Hopps") is True
    assert store.get("hopps") is None
    assert store.session(token, now=T0) is None
    assert backend.query("SELECT COUNT(*) FROM sessions") == [(0,)]
    assert store.delete("hopps") is False
    # The name is free again.
    assert store.create("hopps", "dispatcher", OTHER_PASSWORD, now=at(minutes=1)).role == (
        "dispatcher"
    )


# -- logins ---------------------------------------------------------------------------


def test_authenticate_ok_bad_and_unknown(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)

    ok = store.authenticate("hopps", PASSWORD, now=at(minutes=1))
    assert (ok.ok, ok.account, ok.reason, ok.failures) == (True, hopps, "ok", 0)
    assert (ok.locked_now, ok.locked_until) == (False, None)

    bad = store.authenticate("hopps", WRONG, now=at(minutes=1))
    assert (bad.ok, bad.account, bad.reason, bad.failures) == (False, None, "bad_password", 1)
    assert (bad.locked_now, bad.locked_until) == (False, None)

    unknown = store.authenticate("wilde", PASSWORD, now=at(minutes=1))
    assert (unknown.ok, unknown.account, unknown.reason) == (False, None, "unknown_user")
    assert store.authenticate("not a name!", PASSWORD, now=at(minutes=1)).reason == ("unknown_user")


def test_login_username_is_case_insensitive(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    outcome = store.authenticate("HoPPs", PASSWORD, now=T0)
    assert outcome.ok and outcome.account is not None
    assert outcome.account.username == "hopps"


def test_passwords_are_case_sensitive_and_exact(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    for attempt in (PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1], "", "x"):
        assert store.authenticate("hopps", attempt, now=T0).reason == "bad_password"


def test_unicode_passwords_match_in_either_normal_form(store: AccountStore) -> None:
    composed = "Zoot\u00f6pia-precinct-1"  # ö as one code point
    decomposed = "Zooto\u0308pia-precinct-1"  # o + combining diaeresis
    store.create("hopps", "officer", composed, now=T0)
    assert store.authenticate("hopps", decomposed, now=T0).ok


def test_lockout_after_exactly_five_failures(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    for n in range(1, 5):
        outcome = store.authenticate("hopps", WRONG, now=T0)
        assert (outcome.reason, outcome.failures, outcome.locked_now) == ("bad_password", n, False)
        assert outcome.locked_until is None

    fifth = store.authenticate("hopps", WRONG, now=T0)
    assert (fifth.ok, fifth.reason, fifth.failures, fifth.locked_now) == (
        False,
        "bad_password",
        5,
        True,
    )
    assert fifth.locked_until == at(minutes=10)

    # Still locked at 9:59, even with the right password, and the lock is not extended.
    for moment in (at(seconds=1), at(minutes=5), at(minutes=9, seconds=59)):
        locked = store.authenticate("hopps", PASSWORD, now=moment)
        assert (locked.ok, locked.account, locked.reason) == (False, None, "locked")
        assert (locked.locked_now, locked.locked_until, locked.failures) == (
            False,
            at(minutes=10),
            5,
        )
    assert store.authenticate("hopps", WRONG, now=at(minutes=9)).locked_until == at(minutes=10)

    # Unlocked at 10:00 sharp.
    unlocked = store.authenticate("hopps", PASSWORD, now=at(minutes=10))
    assert (unlocked.ok, unlocked.account, unlocked.reason, unlocked.failures) == (
        True,
        hopps,
        "ok",
        0,
    )


def test_after_the_lock_expires_failures_count_from_zero(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail(store, 5, now=T0)
    after = store.authenticate("hopps", WRONG, now=at(minutes=10, seconds=1))
    assert (after.reason, after.failures, after.locked_now, after.locked_until) == (
        "bad_password",
        1,
        False,
        None,
    )
    fail(store, 3, now=at(minutes=11))
    fifth = store.authenticate("hopps", WRONG, now=at(minutes=12))
    assert fifth.locked_now and fifth.locked_until == at(minutes=22)


def test_success_resets_the_failure_count(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail(store, 4, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=at(seconds=1)).ok
    fail(store, 4, now=at(seconds=2))
    fourth_again = store.authenticate("hopps", PASSWORD, now=at(seconds=3))
    assert fourth_again.ok and fourth_again.failures == 0
    assert store.authenticate("hopps", WRONG, now=at(seconds=4)).failures == 1


def test_lockout_is_per_account(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("wilde", "officer", PASSWORD, now=T0)
    fail(store, 5, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=T0).reason == "locked"
    assert store.authenticate("wilde", PASSWORD, now=T0).ok


def test_lockout_limits_can_be_chosen(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    outcomes = [
        store.authenticate("hopps", WRONG, now=T0, max_failures=3, lock_for=timedelta(minutes=1))
        for _ in range(3)
    ]
    assert [o.locked_now for o in outcomes] == [False, False, True]
    assert outcomes[-1].locked_until == at(minutes=1)
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=1)).ok


def test_unknown_users_cost_a_hash_too(backend: Backend) -> None:
    """Equal work, not a stopwatch: every reply spends exactly one argon2 verify."""

    class Counting(Passwords):
        verifies = 0

        def verify(self, stored_hash: str, password: str) -> bool:
            Counting.verifies += 1
            return super().verify(stored_hash, password)

    store = backend.open(Counting(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)))
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("judy", "officer", PASSWORD, now=T0)
    store.disable("judy", now=T0)
    cases = [("hopps", PASSWORD), ("hopps", WRONG), ("wilde", PASSWORD), ("bad name!", WRONG)]
    cases += [("hopps", "short"), ("judy", PASSWORD)]
    for username, password in cases:
        before = Counting.verifies
        store.authenticate(username, password, now=at(seconds=1))
        assert Counting.verifies - before == 1, (username, password)
    fail(store, 5, now=at(seconds=2))
    before = Counting.verifies
    assert store.authenticate("hopps", PASSWORD, now=at(seconds=3)).reason == "locked"
    assert Counting.verifies - before == 1


def test_login_upgrades_a_hash_made_with_weaker_parameters(backend: Backend) -> None:
    backend.open().create("hopps", "officer", PASSWORD, now=T0)
    [(weak,)] = backend.query("SELECT password_hash FROM accounts")
    assert "t=1," in weak

    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1))
    store = backend.open(stronger)
    assert not store.authenticate("hopps", WRONG, now=T0).ok
    assert backend.query("SELECT password_hash FROM accounts") == [(weak,)]  # not on failure
    assert store.authenticate("hopps", PASSWORD, now=T0).ok
    [(upgraded,)] = backend.query("SELECT password_hash FROM accounts")
    assert upgraded.startswith("$argon2id$") and "t=2," in upgraded
    assert store.authenticate("hopps", PASSWORD, now=T0).ok
    assert backend.query("SELECT password_hash FROM accounts") == [(upgraded,)]


def test_concurrent_failures_from_several_nodes_are_all_counted(backend: Backend) -> None:
    nodes = [backend.open(), backend.open()]
    nodes[0].create("hopps", "officer", PASSWORD, now=T0)

    def attempt(i: int) -> int:
        return nodes[i % 2].authenticate("hopps", WRONG, now=T0, max_failures=100).failures

    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(attempt, range(20)))
    assert counts == list(range(1, 21))


def test_concurrent_failures_lock_exactly_once(backend: Backend) -> None:
    nodes = [backend.open(), backend.open()]
    nodes[0].create("hopps", "officer", PASSWORD, now=T0)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(
            pool.map(lambda i: nodes[i % 2].authenticate("hopps", WRONG, now=T0), range(12))
        )
    assert sum(o.locked_now for o in outcomes) == 1
    assert sum(o.reason == "bad_password" for o in outcomes) == 5
    assert sum(o.reason == "locked" for o in outcomes) == 7


# -- sessions -------------------------------------------------------------------------


def test_session_token_works(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("Hopps", now=T0)
    assert isinstance(token, str) and len(token) >= 43
    assert store.session(token, now=T0) == hopps
    assert store.open_session("hopps", now=T0) != token


def test_unknown_token_is_none(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.open_session("hopps", now=T0)
    for token in ("", "nope", "x" * 10_000):
        assert store.session(token, now=T0) is None


def test_open_session_for_unknown_account_is_refused(store: AccountStore) -> None:
    with pytest.raises(UnknownAccountError) as caught:
        store.open_session("wilde", now=T0)
    assert caught.value.field == "username"


def test_idle_session_expires_and_is_deleted(store: AccountStore, backend: Backend) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    kept = store.open_session("hopps", now=T0)
    dropped = store.open_session("hopps", now=T0)

    assert store.session(kept, now=at(minutes=29)) == hopps
    assert store.session(dropped, now=at(minutes=31)) is None
    assert backend.query("SELECT COUNT(*) FROM sessions") == [(1,)]
    # Deleted, not just refused: it does not come back at an earlier time either.
    assert store.session(dropped, now=at(minutes=1)) is None


def test_exactly_idle_is_still_alive(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    assert store.session(token, now=at(minutes=30)) is not None
    assert store.session(token, now=at(minutes=60, microseconds=1)) is None


def test_activity_extends_the_session(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    for minutes in (25, 50, 75, 100):
        assert store.session(token, now=at(minutes=minutes)) is not None
    assert store.session(token, now=at(minutes=129)) is not None
    assert store.session(token, now=at(minutes=159, seconds=1)) is None


def test_idle_can_be_chosen(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    assert store.session(token, now=at(minutes=2), idle=timedelta(minutes=1)) is None


def test_last_use_is_written_at_most_every_30_seconds(
    store: AccountStore, backend: Backend
) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)

    def last_used() -> str:
        [(value,)] = backend.query("SELECT last_used_at FROM sessions")
        return str(value)

    opened = last_used()
    assert store.session(token, now=at(seconds=29)) is not None
    assert last_used() == opened
    assert store.session(token, now=at(seconds=30)) is not None
    assert last_used() != opened
    assert last_used().startswith("2026-11-24T14:08:00")
    # A request carrying an older time never moves it back.
    assert store.session(token, now=at(seconds=10)) is not None
    assert last_used().startswith("2026-11-24T14:08:00")
    # Expiry is measured from the stored time: at most 30 s early, never late.
    assert store.session(token, now=at(seconds=59)) is not None
    assert store.session(token, now=at(minutes=30, seconds=30)) is not None
    assert store.session(token, now=at(minutes=61, seconds=1)) is None


def test_close_session(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    other = store.open_session("hopps", now=T0)
    assert store.close_session(token) is True
    assert store.session(token, now=T0) is None
    assert store.session(other, now=T0) is not None
    assert store.close_session(token) is False
    assert store.close_session("never-issued") is False


def test_close_sessions_of(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    bogo = store.create("bogo", "supervisor", PASSWORD, now=T0)
    mine = [store.open_session("hopps", now=T0) for _ in range(2)]
    theirs = store.open_session("bogo", now=T0)

    assert store.close_sessions_of("HOPPS") == 2
    assert [store.session(t, now=T0) for t in mine] == [None, None]
    assert store.session(theirs, now=T0) == bogo
    assert store.close_sessions_of("hopps") == 0
    assert store.close_sessions_of("nobody") == 0


def test_purge_sessions(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.open_session("hopps", now=T0)
    fresh = store.open_session("hopps", now=at(minutes=20))
    assert store.purge_sessions(now=at(minutes=40)) == 1
    assert backend.query("SELECT COUNT(*) FROM sessions") == [(1,)]
    assert store.session(fresh, now=at(minutes=40)) is not None


def test_session_token_is_stored_only_as_its_sha256(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    rows = backend.query("SELECT * FROM sessions")
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])
    assert backend.query("SELECT token_hash FROM sessions") == [
        (hashlib.sha256(token.encode()).hexdigest(),)
    ]


# -- lifecycle ------------------------------------------------------------------------


def test_data_survives_reopen(backend: Backend) -> None:
    with backend.open() as first:
        hopps = first.create("hopps", "officer", PASSWORD, now=T0)
        first.create("bogo", "supervisor", PASSWORD, now=T0)
        token = first.open_session("hopps", now=T0)
        fail(first, 5, username="bogo", now=T0)

    with backend.open() as second:
        assert second.list() == [second.get("bogo"), hopps]
        assert second.session(token, now=at(minutes=1)) == hopps
        assert second.authenticate("hopps", PASSWORD, now=at(minutes=1)).ok
        assert second.authenticate("bogo", PASSWORD, now=at(minutes=1)).reason == "locked"


def test_closed_store_refuses_calls(backend: Backend) -> None:
    store = backend.open()
    store.close()
    store.close()  # closing twice is fine
    with pytest.raises(AccountStoreError, match="closed"):
        store.get("hopps")
    with pytest.raises(AccountStoreError, match="closed"):
        store.create("hopps", "officer", PASSWORD, now=T0)


def test_newer_schema_is_refused(backend: Backend) -> None:
    backend.open().close()
    backend.query(
        "INSERT INTO schema_version VALUES (?, 'a later release', '2030-01-01T00:00:00Z')",
        [CURRENT + 1],
    )
    with pytest.raises(AccountStoreError, match=f"schema version {CURRENT + 1}"):
        backend.open()


def test_shares_the_database_with_the_journal(backend: Backend) -> None:
    """Same URL, separate tables; the journal stays valid and holds no secrets."""
    accounts = backend.open()
    with open_store(backend.url) as journal:
        accounts.create("hopps", "officer", PASSWORD, now=T0)
        token = accounts.open_session("hopps", now=T0)
        journal.append(
            [NewEvent("unit.located", "unit:ZPD-7", "2026-11-24T14:07:30Z", "hopps", {})]
        )
        assert journal.verify().ok
        assert journal.head() == 1
        for stored in journal.read():
            assert PASSWORD not in repr(stored) and token not in repr(stored)
    # And the other way round: a store opened after the journal finds its tables.
    with backend.open() as again:
        assert again.session(token, now=T0) is not None


def test_generated_passwords_are_accepted_and_distinct(store: AccountStore) -> None:
    generated = {generate_password() for _ in range(200)}
    assert len(generated) == 200
    for password in generated:
        assert len(password) == 19 and password.count("-") == 3
        assert not set(password) & set("ilo01")
    one = next(iter(generated))
    store.create("hopps", "officer", one, now=T0)
    assert store.authenticate("hopps", one, now=T0).ok


# -- lockout per source, then per account (issue 10) ------------------------------------

HOME = "198.51.100.7"  # the dispatcher's own console
ATTACKERS = ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4")


def fail_from(store: AccountStore, source: str, times: int, *, now: datetime) -> list[Any]:
    return [store.authenticate("hopps", WRONG, now=now, source=source) for _ in range(times)]


def test_five_failures_lock_only_the_offending_source(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    outcomes = fail_from(store, ATTACKERS[0], 5, now=T0)
    assert [o.failures for o in outcomes] == [1, 2, 3, 4, 5]
    assert [o.locked_now for o in outcomes] == [False] * 4 + [True]
    assert (outcomes[-1].locked_scope, outcomes[-1].locked_until) == ("source", at(minutes=10))
    # That source is out, even with the right password...
    locked = store.authenticate("hopps", PASSWORD, now=at(minutes=1), source=ATTACKERS[0])
    assert (locked.ok, locked.reason, locked.locked_scope) == (False, "locked", "source")
    # ...but the officer on her own phone is not.
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=1), source=HOME).account == hopps
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=10), source=ATTACKERS[0]).ok


def test_failures_from_three_sources_lock_the_account_for_everyone(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail_from(store, ATTACKERS[0], 5, now=T0)
    fail_from(store, ATTACKERS[1], 5, now=at(seconds=1))
    assert store.authenticate("hopps", PASSWORD, now=at(seconds=2), source=HOME).ok  # 2: not yet
    third = fail_from(store, ATTACKERS[2], 5, now=at(seconds=3))
    assert [o.locked_now for o in third] == [False] * 4 + [True]
    assert (third[-1].locked_scope, third[-1].locked_until) == (
        "account",
        at(minutes=10, seconds=3),
    )
    for source in (HOME, ATTACKERS[3]):
        refused = store.authenticate("hopps", PASSWORD, now=at(minutes=5), source=source)
        assert (refused.reason, refused.locked_scope) == ("locked", "account")
        assert refused.locked_until == at(minutes=10, seconds=3)  # not extended
    # After the lock everyone starts afresh, the attackers too.
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=10, seconds=3), source=HOME).ok
    again = store.authenticate("hopps", WRONG, now=at(minutes=11), source=ATTACKERS[0])
    assert (again.reason, again.failures, again.locked_now) == ("bad_password", 1, False)


def test_failures_spread_over_many_sources_still_lock_the_account(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    outcomes = [
        store.authenticate("hopps", WRONG, now=T0, source=f"2001:db8::{n}") for n in range(15)
    ]
    assert [o.locked_now for o in outcomes] == [False] * 14 + [True]
    assert outcomes[-1].locked_scope == "account"


def test_the_account_lock_numbers_can_be_chosen(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    limits: dict[str, Any] = {
        "max_failures": 2,
        "lock_sources": 2,
        "lock_for": timedelta(minutes=1),
    }
    for source in ATTACKERS[:2]:
        for _ in range(2):
            last = store.authenticate("hopps", WRONG, now=T0, source=source, **limits)
    assert (last.locked_scope, last.locked_until) == ("account", at(minutes=1))
    with pytest.raises(ValueError, match="lock_sources"):
        store.authenticate("hopps", WRONG, now=T0, lock_sources=0)


def test_a_sources_old_failures_are_forgotten(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail_from(store, HOME, 4, now=T0)
    # More than the lock time after the last failure: a fresh count, not a lock.
    later = store.authenticate("hopps", WRONG, now=at(minutes=10), source=HOME)
    assert (later.failures, later.locked_now) == (1, False)


def test_a_success_clears_only_its_own_sources_failures(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    fail_from(store, ATTACKERS[0], 4, now=T0)
    fail_from(store, HOME, 4, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=T0, source=HOME).ok
    assert store.authenticate("hopps", WRONG, now=T0, source=HOME).failures == 1
    fifth = store.authenticate("hopps", WRONG, now=T0, source=ATTACKERS[0])
    assert (fifth.failures, fifth.locked_scope) == (5, "source")


def test_unlock_clears_every_lock(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("bogo", "supervisor", PASSWORD, now=T0)
    fail_from(store, ATTACKERS[0], 5, now=T0)
    assert store.unlock("HOPPS", now=at(minutes=1)) is True
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=1), source=ATTACKERS[0]).ok
    for source in ATTACKERS[:3]:
        fail_from(store, source, 5, now=at(minutes=2))
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=2), source=HOME).reason == "locked"
    assert store.unlock("hopps", now=at(minutes=3)) is True
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=3), source=HOME).ok
    assert store.authenticate("hopps", WRONG, now=at(minutes=3), source=ATTACKERS[0]).failures == 1
    assert store.unlock("bogo", now=at(minutes=3)) is False  # nothing was locked
    with pytest.raises(UnknownAccountError):
        store.unlock("wilde", now=at(minutes=3))


def test_concurrent_failures_from_many_sources_lock_the_account_once(backend: Backend) -> None:
    nodes = [backend.open(), backend.open()]
    nodes[0].create("hopps", "officer", PASSWORD, now=T0)

    def attempt(i: int) -> Any:
        return nodes[i % 2].authenticate("hopps", WRONG, now=T0, source=f"203.0.113.{i % 5}")

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(30)))
    assert sum(o.locked_now and o.locked_scope == "account" for o in outcomes) == 1
    assert sum(o.reason == "bad_password" for o in outcomes) == 15


# -- disabling, sessions' absolute lifetime, revocation ---------------------------------


def test_disable_refuses_logins_and_ends_sessions_at_once(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    tokens = [store.open_session("hopps", now=T0) for _ in range(2)]
    assert store.disable("Hopps", now=at(minutes=1)) == 2
    assert [store.session(t, now=at(minutes=1)) for t in tokens] == [None, None]
    refused = store.authenticate("hopps", PASSWORD, now=at(minutes=1))
    assert (refused.ok, refused.account, refused.reason) == (False, None, "disabled")
    with pytest.raises(UnknownAccountError):
        store.open_session("hopps", now=at(minutes=1))
    assert store.disable("hopps", now=at(minutes=2)) == 0  # twice is fine
    status = store.status("hopps", now=at(minutes=2))
    assert status is not None and status.disabled_at == at(minutes=1)
    assert store.enable("hopps") is True
    assert store.enable("hopps") is False
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=3)).account == hopps
    with pytest.raises(UnknownAccountError):
        store.disable("wilde", now=T0)
    with pytest.raises(UnknownAccountError):
        store.enable("wilde")


def test_a_session_of_a_disabled_account_is_refused_even_if_left_in_the_table(
    store: AccountStore, backend: Backend
) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    backend.query("UPDATE accounts SET disabled_at = ?", ["2026-11-24T14:07:31.000000Z"])
    assert store.session(token, now=at(seconds=2)) is None


def test_a_session_ends_after_its_lifetime_however_busy(store: AccountStore) -> None:
    hopps = store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    for minutes in range(20, 12 * 60 + 1, 20):  # used every 20 minutes for 12 hours
        assert store.session(token, now=at(minutes=minutes)) == hopps, minutes
    assert store.session(token, now=at(hours=12, seconds=1)) is None
    # Deleted, not just refused.
    assert store.session(token, now=at(hours=1)) is None


def test_the_lifetime_can_be_chosen(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    short = timedelta(minutes=5)
    assert store.session(token, now=at(minutes=5), lifetime=short) is not None
    assert store.session(token, now=at(minutes=5, seconds=1), lifetime=short) is None


def test_purge_removes_sessions_past_their_lifetime(store: AccountStore, backend: Backend) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    token = store.open_session("hopps", now=T0)
    fresh = store.open_session("hopps", now=at(hours=11))
    backend.query("UPDATE sessions SET last_used_at = ?", ["2026-11-25T02:07:30.000000Z"])
    assert store.purge_sessions(now=at(hours=12, minutes=1)) == 1
    assert store.session(token, now=at(hours=12, minutes=1)) is None
    assert store.session(fresh, now=at(hours=12, minutes=1)) is not None


def test_a_new_password_ends_every_session(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    bogo = store.create("bogo", "supervisor", PASSWORD, now=T0)
    mine = [store.open_session("hopps", now=T0) for _ in range(3)]
    theirs = store.open_session("bogo", now=T0)
    assert store.set_password("hopps", OTHER_PASSWORD, now=at(minutes=1)) == 3
    assert [store.session(t, now=at(minutes=1)) for t in mine] == [None] * 3
    assert store.session(theirs, now=at(minutes=1)) == bogo


def test_statuses_show_locks_sessions_and_disabling(store: AccountStore) -> None:
    store.create("hopps", "officer", PASSWORD, now=T0)
    store.create("bogo", "supervisor", PASSWORD, now=T0)
    store.create("wilde", "officer", PASSWORD, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=at(minutes=1), source=HOME).ok
    store.open_session("hopps", now=at(minutes=1))
    store.open_session("hopps", now=T0)  # idle too long by minute 11 (idle 10.5 min here)
    fail_from(store, ATTACKERS[0], 5, now=at(minutes=2))
    store.disable("wilde", now=at(minutes=3))

    statuses = store.statuses(now=at(minutes=11), idle=timedelta(minutes=10, seconds=30))
    assert [s.account.username for s in statuses] == ["bogo", "hopps", "wilde"]
    bogo, hopps, wilde = statuses
    assert (bogo.sessions, bogo.locked_until, bogo.locked_sources, bogo.disabled_at) == (
        0,
        None,
        (),
        None,
    )
    assert bogo.last_login_at is None and bogo.password_changed_at == T0
    assert hopps.sessions == 1 and hopps.last_login_at == at(minutes=1)
    assert hopps.locked_sources == ((ATTACKERS[0], at(minutes=12)),)
    assert wilde.disabled_at == at(minutes=3)
    assert store.status("HOPPS", now=at(minutes=11), idle=timedelta(minutes=10, seconds=30)) == (
        hopps
    )
    assert store.status("nobody", now=T0) is None
    assert store.status("not a name!", now=T0) is None
    # A lock that has run out is not shown.
    assert store.status("hopps", now=at(minutes=12)) is not None
    later = store.status("hopps", now=at(minutes=12))
    assert later is not None and later.locked_sources == ()


# -- the password policy (NIST SP 800-63B) ----------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1234", "most common passwords"),
        ("QWERTY123456", "most common passwords"),
        ("iloveyou2024!", "common password with digits or symbols added"),
        ("!!!dragon!!!123", "common password with digits or symbols added"),
        ("xxxxxxxxxxxx", "repeats one short pattern"),
        ("abcabcabcabc", "repeats one short pattern"),
        ("123456789012", "sequential characters"),
        ("zyxwvutsrqpo", "sequential characters"),
        ("hopps-20261124", "must not be the username"),
    ],
)
def test_common_and_trivial_passwords_are_refused(
    store: AccountStore, password: str, reason: str
) -> None:
    with pytest.raises(AccountError, match=reason) as caught:
        store.create("hopps", "officer", password, now=T0)
    assert caught.value.field == "password"
    store.create("hopps", "officer", PASSWORD, now=T0)
    with pytest.raises(AccountError, match=reason):
        store.set_password("hopps", password, now=T0)
    assert store.authenticate("hopps", PASSWORD, now=T0).ok


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "tram-7-oak-q", "ZOOTOPIA précinct one", "x" * 11 + "y"],
)
def test_no_composition_rules(store: AccountStore, password: str) -> None:
    assert store.create("hopps", "officer", password, now=T0).username == "hopps"
    assert store.authenticate("hopps", password, now=T0).ok


# -- upgrading a database made by the previous version ----------------------------------

V1_SCHEMA = (
    """CREATE TABLE accounts (
        username TEXT PRIMARY KEY, role TEXT NOT NULL, member TEXT,
        password_hash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT, created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL,
        last_login_at TEXT)""",
    """CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        created_at TEXT NOT NULL, last_used_at TEXT NOT NULL)""",
    "CREATE TABLE accounts_schema (version INTEGER NOT NULL)",
    "INSERT INTO accounts_schema (version) VALUES (1)",
)


def test_a_version_1_database_is_upgraded_by_db_upgrade(
    backend: Backend, passwords: Passwords
) -> None:
    for statement in V1_SCHEMA:
        backend.query(statement)
    stamp = "2026-11-24T14:07:30.000000Z"
    backend.query(
        "INSERT INTO accounts (username, role, member, password_hash, failures, locked_until,"
        " created_at, password_changed_at) VALUES (?, ?, ?, ?, 0, NULL, ?, ?)",
        ["hopps", "officer", "hopps", passwords.hash(PASSWORD), stamp, stamp],
    )
    # Never upgraded implicitly: the store names the command that does it.
    with pytest.raises(AccountStoreError, match="tenfour db upgrade --database"):
        backend.open()
    upgrade(backend.url)
    with backend.open() as store:
        assert store.authenticate("hopps", PASSWORD, now=T0).ok
        assert store.disable("hopps", now=T0) == 0
        fail(store, 5, now=T0)
    assert backend.query("SELECT MAX(version) FROM schema_version") == [(CURRENT,)]
    with backend.open() as again:  # and opening it again changes nothing
        assert again.authenticate("hopps", PASSWORD, now=T0).reason == "disabled"
