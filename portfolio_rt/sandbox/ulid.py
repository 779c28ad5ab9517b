"""ULIDs as Alpaca's event streams use them: 26 Crockford base32 characters, a 48-bit
millisecond time then 80 bits that, here, count up within a millisecond, so ids sort in the
order they were made (the spec's "monotonically increasing")."""

from __future__ import annotations

import random
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_LENGTH = 26


def encode(value: int) -> str:
    """A 128-bit number as 26 base32 characters."""
    chars = []
    for _ in range(_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode(text: str) -> int:
    """The number behind a ULID; ValueError for anything that is not one."""
    if len(text) != _LENGTH:
        raise ValueError("not a ULID")
    value = 0
    for char in text.upper():
        index = _ALPHABET.find(char)
        if index < 0:
            raise ValueError("not a ULID")
        value = value << 5 | index
    if value >> 128:
        raise ValueError("not a ULID")
    return value


def is_ulid(text: str) -> bool:
    try:
        decode(text)
    except ValueError:
        return False
    return True


class UlidFactory:
    """Monotonic ULIDs: later times sort later, and ids made for the same (or an earlier)
    millisecond keep counting up from the last one. Seeded, so a world is the same each run."""

    def __init__(self, seed: int | str = 0) -> None:
        self._rng = random.Random(f"ulid:{seed}")
        self._last = 0

    def make(self, at: datetime) -> str:
        millis = int(at.timestamp() * 1000)
        candidate = millis << _RANDOM_BITS | self._rng.getrandbits(_RANDOM_BITS - 16)
        self._last = max(candidate, self._last + 1)
        return encode(self._last)
