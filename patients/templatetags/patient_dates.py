"""The one way a patient sees a date or time: the US style in English ("Tuesday, December 1,
2026, 9:00 AM CST"), the Spanish one in Spanish ("martes, 1 de diciembre de 2026, 9:00 CST").

The filters show a stored (UTC) value in the active time zone, like Django's ``date``: pages and
messages about a visit activate the clinic's zone. ``formatted`` shows a value already in its
zone (a free slot carries its clinic's). The formats are in the catalog (context "date
format"), so each language has its own.
"""

from django import template
from django.utils import dateformat
from django.utils.timezone import template_localtime
from django.utils.translation import pgettext

register = template.Library()


def _format_of(style: str) -> str:
    # Each literal is written out so makemessages finds it.
    if style == "when":
        return pgettext("date format", "l, F j, Y, g:i A T")
    if style == "day":
        return pgettext("date format", "l, F j, Y")
    if style == "date":
        return pgettext("date format", "F j, Y")
    if style == "weekday":
        return pgettext("date format", "l, F j")
    if style == "weekday_time":
        return pgettext("date format", "l, F j, g:i A T")
    if style == "clock":
        return pgettext("date format", "g:i A")
    raise ValueError(f"no date style {style!r}")


def formatted(value, style: str = "when") -> str:
    """``value`` as it is (no change of zone), in the style and the active language."""
    if value in (None, ""):
        return ""
    return dateformat.format(value, _format_of(style))


def _filter(style: str):
    def show(value) -> str:
        return formatted(template_localtime(value), style)

    show.__name__ = style
    return show


when = register.filter("when", _filter("when"))  # Tuesday, December 1, 2026, 9:00 AM CST
day = register.filter("day", _filter("day"))  # Tuesday, December 1, 2026
date_only = register.filter("date_only", _filter("date"))  # December 1, 2026 (a birth date)
weekday = register.filter("weekday", _filter("weekday"))  # Tuesday, December 1
weekday_time = register.filter("weekday_time", _filter("weekday_time"))  # ..., 9:00 AM CST
clock = register.filter("clock", _filter("clock"))  # 9:00 AM
