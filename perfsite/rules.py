"""What every service shares: the version check and the cleaning of text and numbers.

Rules:
- An edit names the version of the record it was based on. A save based on an older
  version is refused (Conflict, 409) and so is one that names no version or garbage:
  a form that lost its version must not overwrite someone else's save. Code that edits
  a record it has just read (the demo, bulk copies) passes `obj.version`.
- Text is stripped; control characters other than tab and newline (NUL included, which
  PostgreSQL refuses) are removed; a length limit is a refusal with a message, never a
  silent cut.
- Numbers are finite decimals below 10^14 in size; "NaN", "sNaN", "Infinity" and
  overflowing exponents are refused with a message.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from .errors import Conflict, Invalid

# C0 controls except tab (\x09), newline (\x0a) and carriage return (\x0d); DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def check_version(obj, expected_version) -> None:
    """Refuse to save over a version other than the one the editor saw (see the rules)."""
    try:
        expected = int(str(expected_version).strip())
    except (TypeError, ValueError):
        raise Conflict(_l("This form did not say which version of the record it changes. "
                          "Reload the page and make your change again."), current=obj) from None
    if expected != obj.version:
        raise Conflict(current=obj)


def clean_text(value, *, field: str, limit: int = 5000, required=None,
               multiline: bool = True) -> str:
    """`value` stripped of surrounding space and control characters; `required` is the
    message when it must not be empty."""
    text = _CONTROL.sub("", str(value or ""))
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if required is not None and not text:
        raise Invalid(required, field)
    if len(text) > limit:
        raise Invalid(_l("Keep this under %(limit)d characters.", limit=limit), field)
    return text


def require_reason(reason, field: str = "reason") -> str:
    return clean_text(reason, field=field, limit=2000,
                      required=_l("Give a reason: it is kept with the change."))


def to_decimal(value, field: str) -> Decimal | None:
    """A finite decimal, or None for an empty value; anything else is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        finite = number.is_finite()
    except (InvalidOperation, ValueError):
        raise Invalid(_l("Enter a number."), field) from None
    if not finite:
        raise Invalid(_l("Enter a number."), field)
    if number and number.adjusted() >= 14:  # no arithmetic: 1E+1000000000 overflows it
        raise Invalid(_l("This number is too large."), field)
    if number and number.normalize().as_tuple().exponent < -4:
        # Stored with four decimals: refuse what would be silently rounded (1e-7 is not 0).
        raise Invalid(_l("Use at most four decimals."), field)
    return number + 0  # "-0" becomes 0


def on_scale(value, field: str, top: int, message) -> int | None:
    """A whole number from 1 to `top` (a score, a rating), or None when left empty;
    anything else is Invalid with `message`, beside `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= top:
        raise Invalid(message, field)
    return number


def to_id(value) -> int | None:
    """A database id from a form or query string; None when absent or not a valid id."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def to_version(value) -> int | None:
    """A record's version as a form names it; None when absent or not one a database can
    hold (a version above 2^31, "abc", "²"): a save based on it is stale, not an overflow."""
    return to_id(value)
