"""The patient wording of ``triage.advice`` for pages and messages whose views pass none.

Reads only: each tag hands a template the same words the result page gets from
``advice.for_decision``, so the 911 list, for one, is written once.
"""

from django import template
from django.utils.translation import gettext

from triage import advice
from triage.advice.i18n import Text

register = template.Library()


@register.filter
def translate_advice(text):
    """The advice (marked in triage.advice, which stays plain Python) in the active language;
    a text built from parts is translated as its pattern and each part. Words a clinician
    wrote, which the catalog does not hold, stay as written."""
    if isinstance(text, Text):
        return gettext(text.pattern) % {
            name: translate_advice(part) if isinstance(part, str) else part
            for name, part in text.parts.items()
        }
    return gettext(text) if text else text


def _translated(texts) -> list[str]:
    return [translate_advice(text) for text in texts]


@register.simple_tag
def emergency_signs() -> list[str]:
    return _translated(advice.emergency_signs())


@register.simple_tag
def personal_emergency_signs(intake) -> list[str]:
    return _translated(advice.personal_emergency_signs(intake.answers)) if intake else []


@register.simple_tag
def check_in_advice(intake) -> list[str]:
    return _translated(advice.check_in_advice(intake.current_decision)) if intake else []


@register.simple_tag
def reminder_notes(service) -> list[str]:
    return _translated(
        advice.reminder_notes(discipline=service.discipline, service_name=service.name)
    )


@register.filter
def result_label(decision) -> str:
    return translate_advice(advice.result_label(decision))
