"""Small helpers for the sentences the tracker says to people."""


def a(noun: str) -> str:
    """The noun with its indefinite article: 'an event table', 'a warehouse'."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def join_or(words: list[str]) -> str:
    """'x', 'x or y', 'x, y or z'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def copies(n: int) -> str:
    return f"{n:,} {'copy' if n == 1 else 'copies'}"
