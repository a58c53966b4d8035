"""The password policy of NIST SP 800-63B (section 3.1.1.2), without composition rules.

A new password is refused when it is (compared case-insensitively, after NFKC):

- one of the 30,000 most common passwords of the `zxcvbn` package's list (a
  maintained package; its list comes from real password leaks), or such a password
  with digits, symbols or spaces added before or after it ("password1234",
  "!!dragon2024") - the usual way a short common password is stretched to a minimum;
- one short pattern repeated ("xxxxxxxxxxxx", "abcabcabcabc") or a run of sequential
  characters ("123456789012", "abcdefghijkl", "zyxwvutsrqpo");
- the account's own username, alone or with digits or symbols added.

Length (12 to 1024 characters) is checked by `check_password`; anything else is
allowed: spaces, any Unicode, no required mix of character classes.
"""

from __future__ import annotations

import string
from functools import cache
from itertools import pairwise

# Stripped from both ends before looking a password up again ("password1234").
_PADDING = string.digits + string.punctuation + string.whitespace
# A pattern this short repeated over the whole password counts as repetition.
_REPEAT_UNIT_MAX = 4


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list, loaded once (about 20 ms)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why `password` may not be chosen, or None if it may (see the module docstring)."""
    folded = password.casefold()
    common = common_passwords()
    if folded in common:
        return "is one of the most common passwords; choose a passphrase of unrelated words"
    core = folded.strip(_PADDING)
    if core and core != folded and core in common:
        return (
            "is a common password with digits or symbols added; "
            "choose a passphrase of unrelated words"
        )
    if _repeats(folded):
        return "repeats one short pattern; choose a passphrase of unrelated words"
    if _sequential(folded):
        return "is a run of sequential characters; choose a passphrase of unrelated words"
    if username and username.casefold() in (folded, core):
        return "must not be the username"
    return None


def _repeats(text: str) -> bool:
    for size in range(1, _REPEAT_UNIT_MAX + 1):
        if len(text) % size == 0 and text == text[:size] * (len(text) // size):
            return True
    return False


def _sequential(text: str) -> bool:
    """Each character one step after (or before) the one before it: 1234..., abcd...,
    digits wrapping from 9 to 0 as on a keyboard's number row."""
    if len(text) < 3:
        return False
    return any(all(_next(a, b, step) for a, b in pairwise(text)) for step in (1, -1))


def _next(a: str, b: str, step: int) -> bool:
    if a.isdigit() and b.isdigit():
        return (int(a) + step) % 10 == int(b)
    return ord(b) - ord(a) == step
