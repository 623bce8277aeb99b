from django import template

from clinic.scheduling import slot_key as make_slot_key
from patients.templatetags.patient_dates import formatted

register = template.Library()


@register.filter
def slot_key(slot) -> str:
    return make_slot_key(slot)


@register.filter
def local_time(slot, style: str = "when") -> str:
    """A slot's start in its location's zone (slots carry the zone of their location), in one
    of the date styles of ``patient_dates``."""
    return formatted(slot.local_start, style)


@register.filter
def local_in(value, location) -> str:
    """A UTC datetime shown in a location's local time, with the zone."""
    return formatted(value.astimezone(location.zone), "when")
