import pytest

from bot.errors import InvalidInput
from bot.services.text import clean_text, plain_link, require_text, user_text


def test_clean_text_drops_controls_and_normalises_newlines() -> None:
    assert clean_text("  a\x00b\x1fc\r\nd\re\tf \u200b ") == "abc\nd\ne\tf \u200b"


def test_require_text_limits() -> None:
    assert require_text("  hello  ", "question", min_length=5, max_length=10) == "hello"
    with pytest.raises(InvalidInput, match="at least 5"):
        require_text("\x00\x01\x02  ", "question", min_length=5, max_length=10)
    with pytest.raises(InvalidInput, match="keep it to 3"):
        require_text("abcd", "title", max_length=3)


def test_user_text_shows_markdown_and_mentions_as_typed() -> None:
    # A masked link can't open (its "[" is escaped) and its address stays a visible plain link.
    assert user_text("[Claim](https://evil.example/a_b) [x](y)") == r"\[Claim](https://evil.example/a_b) \[x](y)"
    assert user_text("**b** __u__ ~~s~~ ||sp|| `c` a\\b") == r"\*\*b\*\* \_\_u\_\_ \~\~s\~\~ \|\|sp\|\| \`c\` a\\b"
    assert user_text("# big\n-# small\n- item\n  > quote") == "\\# big\n\\-# small\n\\- item\n  \\> quote"
    # Only characters Discord's markdown unescapes get a backslash: none before parentheses or dots.
    assert user_text("E-Commerce REST API v1.2 (beta)") == "E-Commerce REST API v1.2 (beta)"
    assert user_text("<@123> <@!45> <@&67> @everyone @here") == (
        "<@\u200b123> <@\u200b!45> <@\u200b&67> @\u200beveryone @\u200bhere"
    )


def test_plain_link_never_masks() -> None:
    assert plain_link("https://github.com/me/shop_api") == "<https://github.com/me/shop_api>"
    assert plain_link("https://x.example/a>b") == "https://x.example/a>b"
