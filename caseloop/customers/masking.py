"""Masking of personal data for roles that do not need it (R9.3, minimum necessary). Pure functions."""

from __future__ import annotations


def mask_phone(value: str) -> str:
    """138****8000: keep the first three and last four digits, enough to confirm with the caller."""
    digits = value.strip()
    if not digits:
        return ""
    if len(digits) <= 7:
        return digits[0] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(value: str) -> str:
    local, sep, domain = value.strip().partition("@")
    if not sep:
        return mask_text(value)
    return (local[:1] + "***" if local else "***") + "@" + domain


def mask_text(value: str) -> str:
    """Addresses, member IDs, names: the first character (or two of a long value) and stars."""
    text = value.strip()
    if not text:
        return ""
    keep = 2 if len(text) > 8 else 1
    return text[:keep] + "*" * min(len(text) - keep, 8)


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name stays so an agent can address the customer."""
    text = value.strip()
    if len(text) <= 1:
        return text
    return text[0] + "*" * (len(text) - 1)
