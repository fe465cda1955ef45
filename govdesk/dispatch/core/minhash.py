"""Near-duplicate text: character shingles, MinHash signatures and LSH bands. Pure Python + numpy; no ORM.

A message becomes the set of its character bigrams (after `normalize` and with everything that is not a letter or a
digit removed: punctuation, spaces, emoji and control characters carry no meaning here). MinHash estimates the Jaccard
similarity of two such sets; LSH cuts the `BANDS * ROWS` hashes into `BANDS` bands and hashes each band to one signed
64-bit value, so two messages become candidates when any band value is equal. With 16 bands of 3 rows the probability
that a pair with Jaccard similarity J becomes a candidate is 1 - (1 - J^3)^16: 0.88 at J = 0.5, 0.98 at J = 0.6,
0.36 at J = 0.3 and 0.016 at J = 0.1. Candidates are then re-ranked by their exact Jaccard similarity.

Bigrams rather than 3-grams: a citizen calling again about the same problem uses other words, and bigrams (about the
length of a Chinese word) keep such pairs above J = 0.5 where 3-grams drop them to 0.4 (tuned on the shipped messages:
see docs/benchmarks.md).

Everything is deterministic across processes and machines (no Python `hash()`, constants derived from fixed seeds),
because the band values are stored. Changing SHINGLE_SIZE, BANDS, ROWS or the constants changes the values: bump
SIGNATURE_VERSION and rebuild the stored signatures (`manage.py dispatch_signatures_rebuild`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .text import normalize

SIGNATURE_VERSION = 1
SHINGLE_SIZE = 2
BANDS = 16
ROWS = 3
NUM_HASHES = BANDS * ROWS
# Texts longer than this are cut before shingling: a duplicate shows in its first few hundred characters, and the
# cost of a signature stays bounded whatever the input.
MAX_CHARS = 2000

_NOT_WORD_RE = re.compile(r"[\W_]+")


def _seeded(name: str, count: int) -> npt.NDArray[np.uint64]:
    values = [
        int.from_bytes(hashlib.blake2b(f"govdesk-minhash-{name}-{i}".encode(), digest_size=8).digest(), "little")
        for i in range(count)
    ]
    return np.array(values, dtype=np.uint64)


# Multiply-shift hashing (Dietzfelbinger): h(x) = (a * x + b) mod 2^64 >> 32, with odd a; a 2-universal family.
_A = _seeded("a", NUM_HASHES) | np.uint64(1)
_B = _seeded("b", NUM_HASHES)
_SHIFT = np.uint64(32)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_BAND_MUL = np.uint64(0x9E3779B97F4A7C15)


def clean(text: str) -> str:
    """The characters shingles are made of: normalised letters and digits, nothing else."""
    return _NOT_WORD_RE.sub("", normalize(text[: MAX_CHARS * 2]))[:MAX_CHARS]


def shingles(text: str) -> set[str]:
    """Character n-grams (SHINGLE_SIZE) of the cleaned text; a shorter text is its own single shingle; none if empty."""
    cleaned = clean(text)
    if not cleaned:
        return set()
    if len(cleaned) < SHINGLE_SIZE:
        return {cleaned}
    return {cleaned[i : i + SHINGLE_SIZE] for i in range(len(cleaned) - SHINGLE_SIZE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _shingle_codes(cleaned: str) -> npt.NDArray[np.uint64]:
    """Each n-gram as one integer (21 bits per code point, n <= 3), vectorised: no Python loop per shingle."""
    points = np.frombuffer(cleaned.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < SHINGLE_SIZE:
        code = np.uint64(0)
        for p in points:
            code = (code << np.uint64(21)) | p
        return np.array([code | np.uint64(1 << 62)], dtype=np.uint64)
    n = len(points) - SHINGLE_SIZE + 1
    codes = points[:n].copy()
    for k in range(1, SHINGLE_SIZE):
        codes = (codes << np.uint64(21)) | points[k : n + k]
    return np.unique(codes)


def minhash(text: str) -> npt.NDArray[np.uint64] | None:
    """NUM_HASHES minimum hash values of the text's shingles, or None if it has no letters or digits."""
    cleaned = clean(text)
    if not cleaned:
        return None
    codes = _shingle_codes(cleaned)
    with np.errstate(over="ignore"):
        hashed = (_A[:, None] * codes[None, :] + _B[:, None]) >> _SHIFT
    return np.asarray(hashed.min(axis=1), dtype=np.uint64)


def bands(signature: npt.NDArray[np.uint64]) -> list[int]:
    """One signed 64-bit value per band (fits a BigIntegerField), mixing the band's ROWS hash values."""
    rows = signature.reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        value = np.zeros(BANDS, dtype=np.uint64)
        for r in range(ROWS):
            value = (value * _BAND_MUL) ^ rows[:, r]
        # splitmix64 finaliser: spreads the bits so equal prefixes do not cluster.
        value ^= value >> np.uint64(30)
        value *= _MIX1
        value ^= value >> np.uint64(27)
        value *= _MIX2
        value ^= value >> np.uint64(31)
    return [int(v) for v in value.view(np.int64)]


def band_values(text: str) -> list[tuple[int, int]]:
    """(band, value) pairs to store or look up for a text; empty if the text has nothing to compare."""
    signature = minhash(text)
    if signature is None:
        return []
    return list(enumerate(bands(signature)))


def candidate_probability(similarity: float, bands_: int = BANDS, rows: int = ROWS) -> float:
    """Probability that two texts with this Jaccard similarity share at least one band (the LSH S-curve)."""
    return 1.0 - (1.0 - similarity**rows) ** bands_


def duplicate_text(title: str, content: str) -> str:
    """The text compared for duplicates: title and body (the address is compared separately, as a place)."""
    return f"{title or ''}\n{content or ''}"


def address_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the character bigrams of two addresses (0 when either is empty)."""
    ca, cb = clean(a), clean(b)
    if not ca or not cb:
        return 0.0
    return jaccard(_bigrams(ca), _bigrams(cb))


def _bigrams(cleaned: str) -> set[str]:
    if len(cleaned) < 2:
        return {cleaned}
    return {cleaned[i : i + 2] for i in range(len(cleaned) - 1)}


def place_match(address: str, places: Iterable[tuple[str, int]]) -> int | None:
    """The id of the place whose name occurs in the address (longest name wins), or None. `places`: (name, id)."""
    best: tuple[int, int] | None = None
    for name, ident in places:
        if name and name in address and (best is None or len(name) > best[0]):
            best = (len(name), ident)
    return best[1] if best else None
