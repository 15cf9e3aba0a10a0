"""Text folded for matching and addresses: compatibility forms and accents removed, so that
"Española", its decomposed spelling (NFD) and its full-width one all read "Espanola".

NFKD decomposes both the compatibility forms (full-width letters, ligatures: what NFKC folds)
and the accented letters, whose marks are then dropped; a few letters that do not decompose
(ß, æ, ø, ł …) are spelled as English-language text spells them.
"""

import re
import unicodedata

LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)
# Apostrophes inside a word ("George’s", "Ōhiʻa") join it rather than split it.
APOSTROPHES = re.compile(r"(?<=\w)[\'’ʻʼ`´‘](?=\w)")
WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Return text with accents removed and compatibility forms folded (NFKD), case kept."""
    text = unicodedata.normalize("NFKD", (text or "").translate(LETTERS))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Return the folded, lower-case words of a text, apostrophes joined ("georges")."""
    return WORD.findall(APOSTROPHES.sub("", fold(text)).lower())
