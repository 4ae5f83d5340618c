"""Discord's 400 50035 "Invalid Form Body" errors, as the fake builds them: the nested
`_errors` layout, and lengths counted like Discord (trimmed; UTF-16 units by default, since
Discord does not document its unit and UTF-16 is never fewer than code points)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

Unit = Literal["utf16", "codepoints"]
Errors = dict[str, Any]


def strlen(text: str, unit: Unit = "utf16") -> int:
    """The length Discord compares to a limit: trimmed, in UTF-16 units or code points."""
    text = text.strip()
    if unit == "codepoints":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def invalid_form_body(errors: Errors) -> dict[str, Any]:
    """The 400 body Discord sends for schema violations (code 50035)."""
    return {"code": 50035, "errors": errors, "message": "Invalid Form Body"}


def add_error(errors: Errors, path: Sequence[str | int], code: str, message: str) -> None:
    """Put one `{"code", "message"}` under `path` in Discord's nested `_errors` layout."""
    node = errors
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def max_len(errors: Errors, path: Sequence[str | int], value: Any, limit: int, unit: Unit) -> int:
    """Check an optional string against `limit` into `errors`; return its counted length."""
    if value is None:
        return 0
    if not isinstance(value, str):
        add_error(errors, path, "BASE_TYPE_STRING", "Could not interpret value as string.")
        return 0
    n = strlen(value, unit)
    if n > limit:
        add_error(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return n
