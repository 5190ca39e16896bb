import pytest

from bot.errors import InvalidInput
from bot.services.text import clean_text, require_text


def test_clean_text_drops_controls_and_normalises_newlines() -> None:
    assert clean_text("  a\x00b\x1fc\r\nd\re\tf \u200b ") == "abc\nd\ne\tf \u200b"


def test_require_text_limits() -> None:
    assert require_text("  hello  ", "question", min_length=5, max_length=10) == "hello"
    with pytest.raises(InvalidInput, match="at least 5"):
        require_text("\x00\x01\x02  ", "question", min_length=5, max_length=10)
    with pytest.raises(InvalidInput, match="keep it to 3"):
        require_text("abcd", "title", max_length=3)
