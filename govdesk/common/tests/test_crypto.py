"""Field encryption and blind indexes: round trip, tampering, key rotation, configuration errors, normalisation."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from govdesk.common import crypto

OLD = "old1:" + base64.b64encode(b"o" * 32).decode()
NEW = "new2:" + base64.b64encode(b"n" * 32).decode()


def test_round_trip_and_empty_stays_empty() -> None:
    for text in ("13812345678", "11010519491231002X", "a@example.com", "中文 名字 😀", "x"):
        token = crypto.encrypt(text)
        assert (len(text) < 4 or text not in token) and crypto.is_encrypted(token)
        assert crypto.decrypt(token) == text
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_the_stored_value_describes_itself_and_is_never_the_same_twice() -> None:
    first, second = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert first != second  # a fresh nonce each time: equal numbers are not visible as equal ciphertext
    version, key_id, nonce, _body = first.split(":")
    assert (version, key_id) == ("v1", "test1")
    assert len(base64.urlsafe_b64decode(nonce + "==")) == crypto.NONCE_BYTES
    assert crypto.key_id_of(first) == "test1"
    assert len(first) <= crypto.encrypted_length(len("13812345678"))


def _flip(text: str, position: int) -> str:
    replacement = "A" if text[position] != "A" else "B"
    return text[:position] + replacement + text[position + 1 :]


@pytest.mark.parametrize("part", ["nonce", "body", "tag"])
def test_a_tampered_value_does_not_decrypt(part: str) -> None:
    token = crypto.encrypt("13812345678")
    version, key_id, nonce, body = token.split(":")
    if part == "nonce":
        tampered = ":".join([version, key_id, _flip(nonce, 3), body])
    elif part == "body":
        tampered = ":".join([version, key_id, nonce, _flip(body, 2)])
    else:
        tampered = ":".join([version, key_id, nonce, _flip(body, len(body) - 3)])
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_a_value_relabelled_with_another_key_id_or_cut_short_does_not_decrypt() -> None:
    with override_settings(GOVDESK_FIELD_KEYS=f"{OLD},{NEW}"):
        token = crypto.encrypt("13812345678")
        assert token.startswith("v1:old1:")
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token.replace("v1:old1:", "v1:new2:"))
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token[:-4])
    for not_ours in ("13812345678", "v1:test1:short:x", "v2:" + token[3:]):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(not_ours)


def test_rotation_the_first_key_encrypts_and_every_listed_key_decrypts() -> None:
    with override_settings(GOVDESK_FIELD_KEYS=OLD):
        old_token = crypto.encrypt("13812345678")
    with override_settings(GOVDESK_FIELD_KEYS=f"{NEW},{OLD}"):
        assert crypto.decrypt(old_token) == "13812345678"
        new_token = crypto.encrypt("13812345678")
        assert crypto.key_id_of(new_token) == "new2"
    with override_settings(GOVDESK_FIELD_KEYS=NEW):
        assert crypto.decrypt(new_token) == "13812345678"
        # Once the old key is removed, what was not re-encrypted is unreadable: hence `pii_rekey --commit` first.
        with pytest.raises(crypto.DecryptionError, match="old1"):
            crypto.decrypt(old_token)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nokey",
        "k1:not base64!",
        "k1:" + base64.b64encode(b"short").decode(),
        "bad id!:" + base64.b64encode(b"k" * 32).decode(),
        f"{OLD},{OLD}",
    ],
)
def test_malformed_field_keys_are_a_configuration_error(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        crypto.parse_field_keys(value)
    # The message names the setting and never echoes the key material.
    assert "GOVDESK_FIELD_KEYS" in str(excinfo.value) and "b29v" not in str(excinfo.value)


def test_a_missing_key_is_a_configuration_error_at_first_use() -> None:
    with override_settings(GOVDESK_FIELD_KEYS=""), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("13812345678")
    with override_settings(GOVDESK_BLIND_INDEX_KEY=""), pytest.raises(ImproperlyConfigured):
        crypto.blind_index("phone", "13812345678")
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_blind_index_key(base64.b64encode(b"too short").decode())


def test_generated_keys_are_valid_settings() -> None:
    key = crypto.generate_key()
    assert crypto.parse_field_keys(f"k1:{key}").keys["k1"] == base64.b64decode(key)
    assert len(crypto.parse_blind_index_key(crypto.generate_key())) == 32


@pytest.mark.parametrize(
    "written",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678", "0086 13812345678"],
)
def test_a_phone_written_any_way_has_one_blind_index(written: str) -> None:
    assert crypto.normalize_phone_for_index(written) == "13812345678"
    assert crypto.blind_index("phone", written) == crypto.blind_index("phone", "13812345678")


def test_blind_indexes_are_keyed_separated_by_kind_and_empty_for_empty() -> None:
    index = crypto.blind_index("phone", "13812345678")
    assert len(index) == crypto.BLIND_INDEX_LENGTH and "13812345678" not in index
    assert crypto.blind_index("phone", "03588221234") == crypto.blind_index("phone", "0358-822 1234")
    assert crypto.blind_index("phone", "13812345679") != index
    assert crypto.blind_index("id_number", "13812345678") != index
    assert crypto.blind_index("id_number", "11010519491231002x") == crypto.blind_index(
        "id_number", "11010519491231002X"
    )
    assert crypto.blind_index("phone", "") == "" and crypto.blind_index("phone", " - ") == ""
    with override_settings(GOVDESK_BLIND_INDEX_KEY=base64.b64encode(b"another-index-key-of-32-bytes-!!").decode()):
        assert crypto.blind_index("phone", "13812345678") != index
