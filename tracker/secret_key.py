"""The key that signs sessions: checked in production, made once elsewhere.

Production refuses a key that is short, public or made of too few different characters
(``weakness``): a placeholder such as 32 times "a" is as good as no key. The measure is
the key's length times the Shannon entropy of its own characters, a cheap estimate that
a random key passes easily (``secrets.token_urlsafe(48)``: about 290 bits) and a
repeated or patterned placeholder does not.

The other configurations keep a random key in ``instance/secret_key`` (``load_or_make``),
written so that a reader never sees half a file and two processes starting at once end
up using the same key.
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
from collections import Counter
from pathlib import Path

from config import KNOWN_DEFAULT_SECRET_KEYS

MIN_LENGTH = 32
# The usual security level of a symmetric key.
MIN_ENTROPY_BITS = 128

HOW_TO_MAKE_ONE = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'


def entropy_bits(key: str) -> float:
    """Length times the Shannon entropy per character of the key's own characters."""
    if not key:
        return 0.0
    counts = Counter(key)
    n = len(key)
    per_character = -sum(c / n * math.log2(c / n) for c in counts.values())
    return n * per_character


def weakness(key: str | None) -> str | None:
    """Why ``key`` may not sign production sessions, or None when it may."""
    if not key or key in KNOWN_DEFAULT_SECRET_KEYS:
        return "SECRET_KEY must be set to a random value in production; " + HOW_TO_MAKE_ONE
    if len(key) < MIN_LENGTH:
        return (
            f"SECRET_KEY must be set to a random value of at least {MIN_LENGTH} characters "
            f"in production ({len(key)} given); " + HOW_TO_MAKE_ONE
        )
    bits = entropy_bits(key)
    if bits < MIN_ENTROPY_BITS:
        return (
            f"SECRET_KEY must be set to a random value in production: this one repeats too "
            f"few different characters ({len(set(key))} different ones, about {bits:.0f} "
            f"bits where {MIN_ENTROPY_BITS} are needed); " + HOW_TO_MAKE_ONE
        )
    return None


def load_or_make(path: Path) -> str:
    """The key kept at ``path``, made (random, readable by its owner only) if missing."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # The whole key goes into a file of its own first (mkstemp makes it 0600), then is
    # linked to its name in one step: nobody ever reads a half-written key. A link,
    # unlike a rename, refuses to replace a file that is already there, so when two
    # processes start at once the first one's key wins and the other reads it.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(key)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path)
    finally:
        os.unlink(temporary)
    return key


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it, and a new secret key is made.")
    return key
