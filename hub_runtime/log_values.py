"""Values from a request or a token, made safe to write into a log line."""

from __future__ import annotations

__all__ = ["LOGGED_CHARS", "escaped", "shown"]

# Enough to recognise a user name, key id or claim; too little to flood the log.
LOGGED_CHARS = 80


def _escape(text: str, limit: int, quote: str = "'") -> tuple[str, str]:
    """``text`` with every character outside printable ASCII (and ``quote``) escaped as
    Python does, cut to at most ``limit`` characters; and ``…(<n> chars)`` if it was cut."""
    parts: list[str] = []
    used = 0
    for char in text:
        part = "\\" + char if char == quote else ascii(char)[1:-1]
        if used + len(part) > limit:
            return "".join(parts), f"…({len(text)} chars)"
        parts.append(part)
        used += len(part)
    return "".join(parts), ""


def shown(value: object, limit: int = LOGGED_CHARS) -> str:
    """``value`` (a string, or the ``repr`` of anything else) in single quotes, escaped and
    cut short: no newline, control or bidirectional character reaches the log, and a
    look-alike (``'\\u0430dmin'``) reads differently from the name it imitates."""
    text = value if isinstance(value, str) else repr(value)
    body, cut = _escape(text, limit)
    return f"'{body}'{cut}"


def escaped(text: str, limit: int = 2 * LOGGED_CHARS) -> str:
    """``text`` (a message that may quote a library's view of hostile input) escaped and
    cut as :func:`shown` does, without the quotes."""
    return "".join(_escape(text, limit, quote=""))
