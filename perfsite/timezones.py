"""Times in each person's time zone.

Rules:
- Times are stored in UTC. Each person reads them in their own time zone: the one chosen on
  their account page, else the site's (TIMEZONE, e.g. Asia/Shanghai). Flask-Babel asks
  `select_timezone` once per request; its formatters (`datetimeformat`, `to_user_timezone`,
  `to_utc` for what people type) then all work in that zone.
- A time is shown to the minute, never with seconds (`local_time`); where the zone matters
  (interviews, which two people in different cities attend) it is named (`zone=True`).
- The `<time datetime>` attribute stays UTC (web.html_datetime).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_location, get_timezone_name
from flask import current_app, has_request_context
from flask_babel import get_locale, get_timezone
from flask_login import current_user

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal",
                       "Etc/Zulu", "Zulu", "Etc/UCT", "UCT", "Etc/Greenwich", "Greenwich"})


# The zones a person chooses from: where this site's companies and their colleagues work
# (mainland China first). Any IANA zone works as the site's (SITE_TIMEZONE).
COMMON_ZONES = (
    "Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei",
    "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta",
    "Asia/Manila", "Asia/Tokyo", "Asia/Seoul", "Asia/Kolkata", "Asia/Dubai", "Asia/Riyadh",
    "Europe/Moscow", "Europe/Istanbul", "Europe/Berlin", "Europe/Paris", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/London", "Africa/Cairo", "Africa/Johannesburg",
    "Africa/Lagos", "America/New_York", "America/Chicago", "America/Denver",
    "America/Los_Angeles", "America/Toronto", "America/Vancouver", "America/Mexico_City",
    "America/Sao_Paulo", "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "UTC",
)


def zone_names() -> tuple[str, ...]:
    """The zones a person may choose."""
    return COMMON_ZONES


def _exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_zone(name: str | None) -> bool:
    """One of the zones a person may choose."""
    return bool(name) and name in COMMON_ZONES and _exists(name)


def zone_place(name: str, locale=None) -> str:
    """Where the zone is, in words ("China (Shanghai) Time", "中国（上海）时间"); UTC is "UTC"."""
    if name in UTC_NAMES:
        return "UTC"
    return get_timezone_location(name, locale=str(locale or get_locale() or "en"))


@lru_cache(maxsize=8)
def _choices(locale: str, day: str) -> tuple[tuple[str, str], ...]:
    now = datetime.fromisoformat(day)
    rows = []
    for name in COMMON_ZONES:
        offset = now.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        label = f"(UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}) " + zone_place(
            name, locale)
        rows.append((minutes, label, name))
    return tuple((name, label) for _minutes, label, name in sorted(rows))


def zone_choices() -> list[tuple[str, str]]:
    """(zone, "(UTC+08:00) China (Shanghai) Time") in the reader's language, by offset today."""
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return list(_choices(str(get_locale() or "en"), today.isoformat()))


def site_zone() -> str:
    """The site's time zone (TIMEZONE, any IANA zone): everyone's until they choose one."""
    name = current_app.config.get("TIMEZONE") or "UTC"
    return name if _exists(name) else "UTC"


def zone_of(person) -> str:
    """The time zone `person` reads times in."""
    chosen = getattr(person, "time_zone", None)
    return chosen if chosen and _exists(chosen) else site_zone()


def select_timezone() -> str:
    """Flask-Babel's timezone selector: the logged-in person's zone, else the site's."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return zone_of(current_user)
    return site_zone()


def zone_label(name: str, locale=None) -> str:
    """The zone in words ("China Time", "中国时间"); UTC is "UTC"."""
    if name in UTC_NAMES:
        return "UTC"
    return get_timezone_name(_pytz(name), locale=locale or get_locale() or "en")


def local_time(moment: datetime | None, zone: bool = False, tz: str | None = None) -> str:
    """`moment` (UTC) as the reader reads it: their zone, their language, to the minute
    ("Dec 7, 2026, 10:00 PM", "2026年12月7日 22:00"); with `zone`, the zone named after it.
    `tz` names another zone (an e-mail to someone who is not the request's reader)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # naive datetimes are UTC (models.types)
        moment = moment.replace(tzinfo=UTC)
    tzinfo = _pytz(tz) if tz else (get_timezone() if has_request_context() else None)
    if tzinfo is None:
        tzinfo = _pytz(site_zone())
    locale = get_locale() or "en"
    local = moment.astimezone(tzinfo)
    babel_locale, pattern, date_pattern, time_pattern = _formats(str(locale))
    # what format_date(local, "medium") and format_time(local, "short") answer, with the
    # patterns parsed once per language instead of once per time shown
    day = local.date()
    text = (pattern.replace("{1}", date_pattern.apply(day, babel_locale))
            .replace("{0}", time_pattern.apply(local.timetz(), babel_locale,
                                               reference_date=day)))
    if zone:
        text = f"{text} ({zone_label(tzinfo.zone, locale)})"
    return text


@lru_cache(maxsize=32)
def _formats(locale: str):
    """A language's Locale, its medium date-and-time pattern, and its medium date and short
    time patterns parsed (a table of 50 rows showed 100 times, each parsed afresh)."""
    from babel import Locale
    from babel.dates import get_date_format, get_time_format, parse_pattern

    babel_locale = Locale.parse(locale)
    return (babel_locale, str(babel_locale.datetime_formats["medium"]),
            parse_pattern(get_date_format("medium", locale=babel_locale)),
            parse_pattern(get_time_format("short", locale=babel_locale)))


def _pytz(name: str):
    import pytz  # Flask-Babel's zones are pytz's

    return pytz.timezone(name)


def reader_zone() -> str:
    """The zone the request's reader reads times in, in words."""
    tzinfo = get_timezone()
    return zone_label(tzinfo.zone if tzinfo is not None else site_zone())


def register(app) -> None:
    """What templates use: `{{ moment|local_time }}`, `{{ moment|local_time(zone=True) }}`,
    and `reader_zone()` to say which zone the times on a page (and typed in a form) are in."""
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["reader_zone"] = reader_zone
