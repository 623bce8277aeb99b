"""The patient wording of ``triage.advice`` for pages and messages whose views pass none.

Reads only: each tag hands a template the same words the result page gets from
``advice.for_decision``, so the 911 list, for one, is written once.
"""

from django import template

from triage import advice

register = template.Library()


@register.simple_tag
def emergency_signs() -> list[str]:
    return advice.emergency_signs()


@register.simple_tag
def personal_emergency_signs(intake) -> list[str]:
    return advice.personal_emergency_signs(intake.answers) if intake else []


@register.simple_tag
def check_in_advice(intake) -> list[str]:
    return advice.check_in_advice(intake.current_decision) if intake else []


@register.simple_tag
def reminder_notes(service) -> list[str]:
    return advice.reminder_notes(discipline=service.discipline, service_name=service.name)


@register.filter
def result_label(decision) -> str:
    return advice.result_label(decision)
