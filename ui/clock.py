"""A time of day as the person reading it keeps time: the room's closing time, a plan's
submission.

The server's clock is often UTC (a container, a rented machine) while the room sits in
Copenhagen or Chicago, so a time formatted in the server's zone was hours off on the
projector. The browser tells its zone (``st.context.timezone``, an IANA name such as
``Europe/Copenhagen``, and ``st.context.timezone_offset``, JavaScript's minutes behind
UTC). Both arrive from the client, so they are checked like any input: a name must look
like a zone name and be one this machine knows; an offset must be whole minutes within
14 hours. With neither, the time is given in UTC and says so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_OFFSET_MINUTES = 14 * 60
"""The farthest any zone is from UTC (Kiribati, UTC+14)."""
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}")
"""What an IANA zone name looks like (``America/Argentina/Buenos_Aires``): no dots, so
no path out of the zone database."""


def viewer_zone(name: object, offset: object) -> tzinfo | None:
    """The browser's zone: its name if this machine knows it, else its current offset,
    else None."""
    if isinstance(name, str) and _ZONE_NAME.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # no zone database here, or an unknown name: the offset still tells
    whole = isinstance(offset, int) and not isinstance(offset, bool)
    if whole and abs(offset) <= MAX_OFFSET_MINUTES:
        return timezone(-timedelta(minutes=offset))
    return None


def clock(timestamp: int | None, *, zone: tzinfo | None) -> str:
    """``HH:MM`` of a Unix time in ``zone``; without one, in UTC with "UTC" after it."""
    if timestamp is None:
        return ""
    when = datetime.fromtimestamp(timestamp, zone or UTC)
    return when.strftime("%H:%M") + ("" if zone is not None else " UTC")
