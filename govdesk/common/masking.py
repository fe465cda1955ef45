"""Masking of personal data for display (GB/T 35273 展示限制): done on the server, before any output."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`; landlines keep their last 4 digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(id_number: str) -> str:
    """First 6 and last 4 kept: `110101********1234`."""
    if not id_number:
        return ""
    value = id_number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """`张三丰` → `张**`."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
