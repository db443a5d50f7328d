"""Vietnamese-aware text helpers: folding diacritics, cleaning what people type."""

import re
import unicodedata

MAX_INPUT_CHARS = 1000  # longer messages get a friendly "please shorten" reply
_KEEP_FORMAT = {"\u200d"}  # zero-width joiner: part of many emoji
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s:/.-]", re.UNICODE)


def clean(text: str | None) -> str:
    """Drop control and bidi-override characters, fold whitespace, NFC-normalise."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            kept.append(" ")
        elif cat == "Cc" or (cat == "Cf" and ch not in _KEEP_FORMAT) or cat in ("Cs", "Co"):
            continue
        else:
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def fold(text: str) -> str:
    """Lower-case, no diacritics, punctuation as spaces: 'Tân Cương!' -> 'tan cuong'."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("\u0111", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def has_letters_or_digits(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def vn_number(n: int) -> str:
    """1240 -> '1.240' (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


def lower_words(text: str) -> list[str]:
    """Lower-cased words with their diacritics, split like fold() splits."""
    text = unicodedata.normalize("NFC", text.lower())
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).split()


def has_diacritics(text: str) -> bool:
    return fold(text) != _SPACES.sub(" ", _PUNCT.sub(" ", text.lower())).strip()
