"""Every charset the Chinese-speaking world sends, declared rightly, wrongly or not at all."""

from __future__ import annotations

import base64

import pytest

from caseloop.intake.channels.email.charsets import decode_bytes, decode_header_bytes
from caseloop.intake.channels.email.mime import parse_email
from tests.intake.email.builders import encoded_word, raw_email

SIMPLIFIED = "您好，我在贵公司购买的冰箱制冷效果不好，请派人上门维修。"
TRADITIONAL = "您好，我在貴公司購買的冰箱製冷效果不好，請派人上門維修。"


@pytest.mark.parametrize(
    ("text", "charset", "cte"),
    [
        pytest.param(SIMPLIFIED, "gbk", "base64", id="gbk"),
        pytest.param(SIMPLIFIED, "gb2312", "8bit", id="gb2312"),
        # GB18030-only: a four-byte CJK Extension B character and an emoji, both outside GBK.
        pytest.param(SIMPLIFIED + "𠀀😀", "gb18030", "base64", id="gb18030"),
        pytest.param(TRADITIONAL, "big5", "base64", id="big5"),
        pytest.param(TRADITIONAL, "utf-8", "quoted-printable", id="utf-8"),
        pytest.param("Bonjour, le lave-linge fait un bruit énorme. Merci d'avance, Zoë «SAV»", "iso-8859-1", "8bit",
                     id="latin-1"),
    ],
)
def test_body_in_each_charset_is_read(text: str, charset: str, cte: str) -> None:
    data = text.encode(charset)
    if cte == "quoted-printable":
        import quopri

        data = quopri.encodestring(data)
    parsed = parse_email(raw_email(body=data, charset=charset, cte=cte))

    assert parsed.text == text


def test_gb2312_label_on_gbk_text_is_read_as_gb18030() -> None:
    # 镕 and 喆 are GBK, not GB2312: mailers label GBK "gb2312" all the time.
    text = "朱镕基 陶喆 的签名"
    assert parse_email(raw_email(body=text.encode("gbk"), charset="gb2312")).text == text


def test_big5_label_on_hkscs_text_is_read_as_big5hkscs() -> None:
    text = "佢話部雪櫃唔凍㗎"  # Cantonese: 㗎 is an HKSCS character
    assert parse_email(raw_email(body=text.encode("big5hkscs"), charset="big5", cte="base64")).text == text


@pytest.mark.parametrize("label", ["x-unknown-charset", "unicode-2-0-utf-8-gbk", "base64"])
def test_unknown_charset_label_falls_back_to_detection(label: str) -> None:
    assert parse_email(raw_email(body=SIMPLIFIED.encode("gbk"), charset=label)).text == SIMPLIFIED


def test_mislabelled_charset_is_detected() -> None:
    # Declared UTF-8, sent in GBK; and Big5 declared as GB2312.
    assert parse_email(raw_email(body=SIMPLIFIED.encode("gbk"), charset="utf-8")).text == SIMPLIFIED
    assert parse_email(raw_email(body=TRADITIONAL.encode("big5"), charset="gb2312")).text == TRADITIONAL


def test_no_charset_declared_at_all() -> None:
    assert parse_email(raw_email(body=TRADITIONAL.encode("big5"), charset=None)).text == TRADITIONAL
    assert parse_email(raw_email(body="洗衣机".encode("gbk"), charset=None)).text == "洗衣机"


def test_utf8_labelled_latin1_keeps_the_utf8_text() -> None:
    assert decode_bytes("Café crème".encode(), "iso-8859-1") == "Café crème"
    assert decode_bytes("Café crème".encode("latin-1"), "iso-8859-1") == "Café crème"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param(encoded_word("冰箱不制冷", "gb2312"), "冰箱不制冷", id="rfc2047-gb2312-base64"),
        pytest.param(encoded_word("冰箱不制冷", "gb2312", "Q"), "冰箱不制冷", id="rfc2047-gb2312-q"),
        pytest.param(encoded_word("冰箱不製冷", "big5"), "冰箱不製冷", id="rfc2047-big5"),
        pytest.param(encoded_word("镕", "gb2312", codec="gbk") + " 投诉", "镕 投诉", id="rfc2047-gbk-labelled-gb2312"),
        pytest.param("Re: " + encoded_word("维修进度", "utf-8") + " (2)", "Re: 维修进度 (2)", id="mixed-with-ascii"),
        pytest.param(encoded_word("冰箱", "utf-8") + "  \r\n " + encoded_word("不制冷", "utf-8"), "冰箱不制冷",
                     id="folded-adjacent-words-join"),
        pytest.param(encoded_word("冰箱不制冷", "x-mystery", codec="gbk"), "冰箱不制冷", id="unknown-charset-in-word"),
    ],
)
def test_encoded_subjects(subject: str, expected: str) -> None:
    assert parse_email(raw_email(subject=subject)).subject == expected


def test_broken_encoded_words_are_still_read() -> None:
    data = "测试主题".encode("gbk")
    split = (f"=?GBK?B?{base64.b64encode(data[:3]).decode()}?= =?GBK?B?{base64.b64encode(data[3:]).decode()}?=")
    missing_padding = "=?gb2312?B?" + base64.b64encode("冰箱坏了".encode("gb2312")).decode().rstrip("=") + "?="
    quoted_in_name = '"=?gb2312?B?' + base64.b64encode("张三".encode("gb2312")).decode() + '?=" <zhang@example.cn>'

    assert decode_header_bytes(split.encode()) == "测试主题"  # a character split across two words
    assert decode_header_bytes(missing_padding.encode()) == "冰箱坏了"
    parsed = parse_email(raw_email(sender=quoted_in_name))
    assert (parsed.sender_name, parsed.sender_address) == ("张三", "zhang@example.cn")


@pytest.mark.parametrize("charset", ["gbk", "big5", "utf-8"])
def test_raw_8bit_headers_are_read(charset: str) -> None:
    subject = "洗衣機漏水" if charset == "big5" else "洗衣机漏水"
    raw = raw_email(subject=subject.encode(charset), sender="王五".encode(charset) + b" <wang@example.cn>")
    parsed = parse_email(raw)

    assert parsed.subject == subject
    assert (parsed.sender_name, parsed.sender_address) == ("王五", "wang@example.cn")
