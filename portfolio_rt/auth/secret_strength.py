"""How guessable a signing secret is: a deliberately pessimistic estimate of its randomness.

Length alone says little: 32 copies of one letter, `abcdef…`, or a word typed four times are
long and worthless. Each character is worth the bits of the character classes the secret
uses (lower case, upper case, digits, symbols), unless it continues a run (the same character
again, the same step as the last two: `abc`, `1357`, `zyx`), which is worth one bit, or
starts a repeat of something already written, which is worth what it takes to point at it.
A random 32-character token is worth well over 100 bits; the patterns above are worth half
that or less.
"""

from __future__ import annotations

import math
import string

MIN_SECRET_BITS = 100
"""What a secret that signs every account's tokens must be worth at least: every random
32-character secret (even hex, 128 bits) clears it by a wide margin, every pattern above falls
far short of it."""

_CLASSES = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)
_OTHER = 128
"""Bits-worth of any character outside printable ASCII, counted as one class of this size."""
_REPEAT = 3
"""A stretch this long that already occurred earlier counts as a repeat."""
_LONGEST = 512
"""Only this much of a secret is examined (more is plenty, and the parse is quadratic)."""


def alphabet_size(secret: str) -> int:
    """The size of the alphabet drawn from: the classes the secret uses, added up."""
    size = sum(n for chars, n in _CLASSES if any(c in chars for c in secret))
    if any(not any(c in chars for chars, _ in _CLASSES) for c in secret):
        size += _OTHER
    return max(size, 1)


def estimated_bits(secret: str) -> float:
    """Bits of randomness, parsing the secret left to right: a stretch that repeats an earlier
    one costs only saying where and how long (as a compressor would write it); a character
    that continues a run costs one bit; any other costs the alphabet's bits."""
    secret = secret[:_LONGEST]
    per_char = math.log2(alphabet_size(secret))
    bits = 0.0
    i = 0
    while i < len(secret):
        length = _earlier_match(secret, i)
        if length >= _REPEAT:
            bits += math.log2(i) + math.log2(length)
            i += length
            continue
        bits += 1.0 if _continues_run(secret, i) else per_char
        i += 1
    return bits


def _earlier_match(secret: str, i: int) -> int:
    """The longest stretch from `i` that also starts at an earlier position."""
    best = 0
    for start in range(i):
        length = 0
        while i + length < len(secret) and secret[start + length] == secret[i + length]:
            length += 1
        best = max(best, length)
    return best


def _continues_run(secret: str, i: int) -> bool:
    """The same character again, or the same step as the last two (`abc`, `1357`, `zyx`)."""
    if i >= 1 and secret[i] == secret[i - 1]:
        return True
    return i >= 2 and ord(secret[i]) - ord(secret[i - 1]) == ord(secret[i - 1]) - ord(secret[i - 2])
