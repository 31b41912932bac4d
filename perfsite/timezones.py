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

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_time, get_timezone_name
from flask import current_app, has_request_context
from flask_babel import get_locale, get_timezone
from flask_login import current_user

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal",
                       "Etc/Zulu", "Zulu", "Etc/UCT", "UCT", "Etc/Greenwich", "Greenwich"})


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone a person may choose (the tz database's, without its aliases of old)."""
    return tuple(sorted(name for name in available_timezones()
                        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
                        and name not in ("posixrules", "localtime"))) + ("UTC",)


def is_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in zone_names() or name in UTC_NAMES


def site_zone() -> str:
    """The site's time zone (TIMEZONE): everyone's until they choose another."""
    name = current_app.config.get("TIMEZONE") or "UTC"
    return name if is_zone(name) else "UTC"


def zone_of(person) -> str:
    """The time zone `person` reads times in."""
    chosen = getattr(person, "time_zone", None)
    return chosen if chosen and is_zone(chosen) else site_zone()


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
    from babel import Locale

    pattern = Locale.parse(locale).datetime_formats["medium"]
    text = (str(pattern).replace("{1}", format_date(local, "medium", locale=locale))
            .replace("{0}", format_time(local, "short", locale=locale)))
    if zone:
        text = f"{text} ({zone_label(tzinfo.zone, locale)})"
    return text


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
