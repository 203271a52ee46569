"""One customer however they wrote their number (R1.5)."""

from __future__ import annotations

import pytest

from caseloop.customers.normalize import normalize_email, normalize_phone

MOBILE = "13800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "8613800138000",
        "0086 138 0013 8000",
        "  (+86) 138 0013 8000  ",
        "\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10",  # full-width 13800138000
        "\uff0b\uff18\uff16 \uff11\uff13\uff18 \uff10\uff10\uff11\uff13 \uff18\uff10\uff10\uff10",  # +86 full-width
    ],
)
def test_every_spelling_of_a_mainland_mobile_normalises_to_its_eleven_digits(raw: str) -> None:
    assert normalize_phone(raw) == MOBILE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+852 9123 4567", "+85291234567"),
        ("00852 9123 4567", "+85291234567"),
        ("+886 912 345 678", "+886912345678"),
        ("010-8888 6666", "01088886666"),
        # 86 followed by something that is not a mobile number is not a country code to drop
        ("86 2345 6789", "8623456789"),
    ],
)
def test_other_numbers_keep_their_country_code_and_digits(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_an_empty_phone_stays_empty() -> None:
    assert normalize_phone("   ") == ""


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Li.Lei@Example.COM ") == "li.lei@example.com"
