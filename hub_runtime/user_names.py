"""What a user name may be: how it arrives in a header, and the rules it must follow.

One person must map to one account, and one account must not pass for another: a name is
refused (never silently changed) when it is not UTF-8, not in Unicode normal form NFKC, or
mixes scripts the way look-alike names do (``\\u0430dmin``: admin with a Cyrillic a).
Mixed scripts follow the "Highly Restrictive" level of Unicode TR 39 (section 5.2): one
script, or Latin with Han and Hiragana/Katakana, with Han and Bopomofo, or with Han and
Hangul. Python has no Unicode Script property, so a character's script is read from its
Unicode name (``CYRILLIC SMALL LETTER A``); ASCII digits and punctuation, ``_`` and
combining marks take no script of their own. Look-alikes within one script (Latin dotless
``\\u0131`` and ``i``) stay distinct names; an ASCII-only ``user_pattern`` excludes them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["from_header", "name_problem", "scripts"]

# Character-name prefixes that belong to a script under another name.
_ALIASES = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "HANGZHOU": "HAN",
    "KATAKANA-HIRAGANA": "KATAKANA",
    "HENTAIGANA": "HIRAGANA",
    "ARABIC-INDIC": "ARABIC",
    "EXTENDED": "ARABIC",
    "ROMAN": "LATIN",
}
# The script sets TR 39's "Highly Restrictive" level admits together.
_COMBINED = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def from_header(raw: str) -> str:
    """The user name a header carries. Tornado decodes header bytes as Latin-1; the auth
    proxy sends UTF-8. ``ValueError`` if the bytes are not UTF-8 (they would otherwise
    become a different, Latin-1 name)."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise ValueError("not UTF-8") from None


def _script(char: str) -> str | None:
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if unicodedata.category(char)[0] == "M" or unicodedata.category(char) == "Pc":
        return None
    word = unicodedata.name(char, "UNNAMED").split(" ")[0]
    return _ALIASES.get(word, word)


def scripts(name: str) -> frozenset[str]:
    """The scripts of ``name``'s letters and digits (ASCII digits and punctuation: none)."""
    return frozenset(s for s in map(_script, name) if s is not None)


def name_problem(name: str, *, pattern: str, max_length: int) -> str | None:
    """Why ``name`` is not a valid user name, or None if it is."""
    if not name:
        return "is empty"
    if len(name) > max_length:
        return f"is longer than {max_length} characters"
    if ".." in name:
        return "contains '..'"
    if re.fullmatch(pattern, name) is None:
        return f"does not match the user name pattern {pattern!r}"
    if unicodedata.normalize("NFKC", name) != name:
        return "is not in Unicode normal form NFKC"
    found = scripts(name)
    if len(found) > 1 and not any(found <= allowed for allowed in _COMBINED):
        return f"mixes scripts ({', '.join(sorted(found))})"
    return None
