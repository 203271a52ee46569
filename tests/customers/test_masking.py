"""Masked personal data for roles that do not need it (R9.3)."""

from __future__ import annotations

import pytest

from caseloop.customers.masking import mask_email, mask_name, mask_phone, mask_text


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+85291234567", "+85*****4567"),
        ("12345678", "123*5678"),
        ("1234567", "1******"),
        ("12", "1*"),
        ("", ""),
    ],
)
def test_phone_keeps_the_first_three_and_last_four_digits(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("lilei@example.com", "l***@example.com"),
        ("@example.com", "***@example.com"),
        ("not-an-email", "no********"),
        ("", ""),
    ],
)
def test_email_keeps_the_first_letter_and_the_domain(value: str, masked: str) -> None:
    assert mask_email(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("北京市朝阳区建国路88号院3号楼", "北京********"),
        ("M1234", "M****"),
        ("上海", "上*"),
        ("  ", ""),
    ],
)
def test_text_keeps_one_or_two_leading_characters_and_at_most_eight_stars(value: str, masked: str) -> None:
    assert mask_text(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李"), ("", "")],
)
def test_name_keeps_the_family_name_character(value: str, masked: str) -> None:
    assert mask_name(value) == masked
