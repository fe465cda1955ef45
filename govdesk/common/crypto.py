"""Personal data at rest: AES-256-GCM field encryption under rotating keys, and keyed blind indexes for exact lookups.

Keys come from the settings (the environment in production, see docs/deployment.md):

- `GOVDESK_FIELD_KEYS`: comma-separated `key-id:base64(32 bytes)`. The first key encrypts; every listed key decrypts,
  so a new key goes first and the old one stays listed until `manage.py pii_rekey --commit` has moved every row.
- `GOVDESK_BLIND_INDEX_KEY`: base64 of at least 32 bytes, the HMAC-SHA256 key of the blind indexes.

A stored value describes itself: `v1:<key id>:<nonce>:<ciphertext and tag>` (base64url, no padding). The version and
key id are authenticated as associated data, so a value moved to another key id or edited anywhere fails to decrypt.
The empty string stays empty (an absent phone is not a secret, and "has a phone" stays a plain comparison).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_MAX_LENGTH = 16
KEY_ID_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{KEY_ID_MAX_LENGTH}}}$")
TOKEN_RE = re.compile(
    rf"^{FORMAT_VERSION}:(?P<key_id>[A-Za-z0-9_-]{{1,{KEY_ID_MAX_LENGTH}}}):(?P<nonce>[A-Za-z0-9_-]{{16}}):"
    r"(?P<body>[A-Za-z0-9_-]{22,})$"
)
# Hex characters of HMAC-SHA256 kept in a blind index: 128 bits, no collisions among a district's citizens, and
# short enough for a compact database index.
BLIND_INDEX_LENGTH = 32


class DecryptionError(Exception):
    """A stored value that is not ours, was edited, or was encrypted under a key no longer configured."""


@dataclass(frozen=True)
class FieldKeys:
    current_id: str
    keys: dict[str, bytes]


def _b64decode_key(value: str, what: str, *, exact: bool) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what} is not valid base64.") from None
    if (exact and len(key) != KEY_BYTES) or len(key) < KEY_BYTES:
        raise ImproperlyConfigured(f"{what} must be base64 of {KEY_BYTES} random bytes (now {len(key)} bytes).")
    return key


def parse_field_keys(value: str) -> FieldKeys:
    """`GOVDESK_FIELD_KEYS` parsed and checked; ImproperlyConfigured names what is wrong (never the key itself)."""
    keys: dict[str, bytes] = {}
    current = ""
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                "GOVDESK_FIELD_KEYS: each entry is key-id:base64-key, the id of 1 to 16 letters, digits, - or _."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"GOVDESK_FIELD_KEYS: key id {key_id} is listed twice.")
        keys[key_id] = _b64decode_key(encoded, f"GOVDESK_FIELD_KEYS key {key_id}", exact=True)
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured("Set GOVDESK_FIELD_KEYS (see docs/deployment.md, personal data at rest).")
    return FieldKeys(current_id=current, keys=keys)


def parse_blind_index_key(value: str) -> bytes:
    if not (value or "").strip():
        raise ImproperlyConfigured("Set GOVDESK_BLIND_INDEX_KEY (see docs/deployment.md, personal data at rest).")
    return _b64decode_key(value, "GOVDESK_BLIND_INDEX_KEY", exact=False)


def generate_key() -> str:
    """A fresh random key, base64 (for either setting)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


# Parsed once per distinct setting value, so `override_settings` in tests and a changed environment both just work.
@lru_cache(maxsize=8)
def _parsed_field_keys(raw: str) -> FieldKeys:
    return parse_field_keys(raw)


@lru_cache(maxsize=8)
def _parsed_blind_index_key(raw: str) -> bytes:
    return parse_blind_index_key(raw)


def field_keys() -> FieldKeys:
    return _parsed_field_keys(str(getattr(settings, "GOVDESK_FIELD_KEYS", "") or ""))


def _blind_index_key() -> bytes:
    return _parsed_blind_index_key(str(getattr(settings, "GOVDESK_BLIND_INDEX_KEY", "") or ""))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _header(key_id: str) -> bytes:
    return f"{FORMAT_VERSION}:{key_id}".encode("ascii")


def encrypt(plaintext: str) -> str:
    """The stored form of `plaintext` under the current key; "" stays ""."""
    if plaintext == "":
        return ""
    keys = field_keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    header = _header(keys.current_id)
    body = AESGCM(keys.keys[keys.current_id]).encrypt(nonce, plaintext.encode("utf-8"), header)
    return f"{header.decode('ascii')}:{_b64(nonce)}:{_b64(body)}"


def is_encrypted(value: str) -> bool:
    return bool(TOKEN_RE.match(value or ""))


def key_id_of(token: str) -> str | None:
    """The id of the key a stored value was encrypted under, or None for "" and for anything not in our format."""
    match = TOKEN_RE.match(token or "")
    return match["key_id"] if match else None


def decrypt(token: str) -> str:
    """The plaintext of a stored value; DecryptionError when it is not ours, was altered, or its key is gone."""
    if token == "":
        return ""
    match = TOKEN_RE.match(token or "")
    if match is None:
        raise DecryptionError("not an encrypted value")
    key = field_keys().keys.get(match["key_id"])
    if key is None:
        raise DecryptionError(f"key {match['key_id']} is not in GOVDESK_FIELD_KEYS")
    try:
        plaintext = AESGCM(key).decrypt(_unb64(match["nonce"]), _unb64(match["body"]), _header(match["key_id"]))
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError("the value was altered or belongs to another key") from None
    return plaintext.decode("utf-8")


def encrypted_length(max_chars: int) -> int:
    """The longest stored form of a value of `max_chars` characters (4 UTF-8 bytes each at worst)."""
    body = 4 * max_chars + TAG_BYTES
    return len(FORMAT_VERSION) + 1 + KEY_ID_MAX_LENGTH + 1 + 16 + 1 + -(-body * 4 // 3)


# --- blind indexes ------------------------------------------------------------------------------------------------

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone_for_index(value: str) -> str:
    """Digits only; a mainland mobile without its country code (+86, 0086, 86), as people write it either way."""
    digits = "".join(ch for ch in value or "" if ch.isascii() and ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and _MAINLAND_MOBILE.match(digits[len(prefix) :]):
            return digits[len(prefix) :]
    return digits


def normalize_id_number_for_index(value: str) -> str:
    """An ID number without spaces, upper-case (the check character X is written either way)."""
    return "".join((value or "").split()).upper()


def normalize_email_for_index(value: str) -> str:
    return (value or "").strip().lower()


NORMALIZERS = {
    "phone": normalize_phone_for_index,
    "id_number": normalize_id_number_for_index,
    "email": normalize_email_for_index,
}


def blind_index(kind: str, value: str) -> str:
    """The keyed blind index of `value` (a kind from NORMALIZERS); "" when the normalised value is empty.

    The kind is part of the HMAC input, so equal digits in a phone and an ID column never share an index value."""
    normalized = NORMALIZERS[kind](value)
    if not normalized:
        return ""
    digest = hmac.new(_blind_index_key(), f"{kind}\x00{normalized}".encode(), hashlib.sha256).hexdigest()
    return digest[:BLIND_INDEX_LENGTH]
