from django import template
from django.utils.dateformat import format as format_date

from clinic.scheduling import slot_key as make_slot_key

register = template.Library()


@register.filter
def slot_key(slot) -> str:
    return make_slot_key(slot)


@register.filter
def local_time(slot, fmt: str = "l j F Y, g:i A T") -> str:
    """A slot's start in its location's zone (slots carry the zone of their location)."""
    return format_date(slot.local_start, fmt)


@register.filter
def local_in(value, location) -> str:
    """A UTC datetime shown in a location's local time, with the zone."""
    return format_date(value.astimezone(location.zone), "l j F Y, g:i A T")
