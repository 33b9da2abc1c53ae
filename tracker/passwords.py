"""Passwords: the rules people must meet, and argon2id hashes (argon2-cffi).

The rules follow OWASP ASVS: at least 12 characters, up to 128, any characters, no
composition rules, and not one of the common passwords shipped in
``tracker/data/common-passwords.txt.gz``.
"""

from __future__ import annotations

import functools
import gzip
import secrets
import unicodedata
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tracker.domain.words import number, say

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


def make_hasher(
    time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4
) -> PasswordHasher:
    """An argon2id hasher; the defaults are RFC 9106's second recommendation (64 MiB)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.rstrip("\n") for line in f if not line.startswith("#"))


def normalize(password: str) -> str:
    """NFKC, so that the same password typed on two keyboards is the same password."""
    return unicodedata.normalize("NFKC", password)


def problems(password: str, *, email: str | None = None) -> list[str]:
    """What is wrong with a new password, in the reader's words; empty when it is
    acceptable."""
    text = normalize(password or "")
    found = []
    if len(text) < MIN_LENGTH:
        found.append(
            say(
                "The password must have at least %(least)s characters (%(given)s given).",
                least=number(MIN_LENGTH),
                given=number(len(text)),
            )
        )
    elif len(text) > MAX_LENGTH:
        found.append(
            say("The password must have at most %(most)s characters.", most=number(MAX_LENGTH))
        )
    elif text.lower() in common_passwords():
        found.append(say("This password is one of the most common ones: choose another."))
    elif email and text.lower() in {email.lower(), email.split("@")[0].lower()}:
        found.append(say("The password must not be your email address."))
    return found


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(normalize(password))


def verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, normalize(password or ""))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the email is unknown, so that the answer takes as long.
@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def waste_time(hasher: PasswordHasher, password: str) -> None:
    verify(hasher, _dummy_hash(hasher), password)


def generate() -> str:
    """A random password to hand over once (an admin's reset, a demo account)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))
