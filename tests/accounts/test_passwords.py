"""The hashing wrapper and the password generator (no database)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from tenfour.accounts import Passwords, generate_password
from tenfour.accounts.model import AccountError, check_password


def test_hash_and_verify(passwords: Passwords) -> None:
    hashed = passwords.hash("carrots-and-badges")
    assert hashed.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert passwords.verify(hashed, "carrots-and-badges")
    assert not passwords.verify(hashed, "carrots-and-badgeS")
    assert not passwords.needs_rehash(hashed)


def test_corrupt_stored_hash_never_matches(passwords: Passwords) -> None:
    assert not passwords.verify("not-a-hash", "carrots-and-badges")
    assert not passwords.verify("", "")
    assert passwords.needs_rehash("not-a-hash")


def test_default_parameters_are_argon2_cffi_defaults() -> None:
    hashed = Passwords().hash("carrots-and-badges")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_weaker_parameters_need_rehash(passwords: Passwords) -> None:
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1))
    assert stronger.needs_rehash(passwords.hash("carrots-and-badges"))


def test_only_argon2id_is_accepted() -> None:
    with pytest.raises(ValueError, match="argon2id"):
        Passwords(PasswordHasher(type=Type.I))


def test_spend_time_runs_one_verify(passwords: Passwords) -> None:
    passwords.spend_time("anything")
    passwords.spend_time("")


def test_generated_password_shape() -> None:
    password = generate_password()
    groups = password.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(c in "abcdefghjkmnpqrstuvwxyz23456789" for c in "".join(groups))
    check_password(password)  # long enough for the account rules


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("x" * 11, "at least 12 characters"),
        ("x" * 1025, "at most 1024 characters"),
        ("bad-surrogate-\ud800", "not valid Unicode"),
        (12345678901234, "must be a string"),
    ],
)
def test_password_rules(password: object, reason: str) -> None:
    with pytest.raises(AccountError, match=reason) as caught:
        check_password(password)
    assert caught.value.field == "password"


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(500):
        password = generate_password()
        assert check_password(password) == password


def test_the_common_password_list_comes_from_the_zxcvbn_package() -> None:
    from tenfour.accounts.policy import common_passwords

    listed = common_passwords()
    assert len(listed) > 20_000 and {"password", "qwerty", "iloveyou"} <= listed
