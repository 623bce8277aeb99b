"""What a referral summary says: the read behind the page and PDF staff print or send to an
outside imaging provider or surgeon (who, why, how urgent, by when, and the booked time in the
location's own zone). Plain values for a template; writes are in `triage.services`.
"""

from clinic.models import Appointment, AppointmentStatus
from triage import engine
from triage.models import Intake, Referral


def referral_of(intake: Intake) -> Referral | None:
    """The intake's open referral, else its newest one (a returned or closed one still prints)."""
    referrals = intake.referrals.order_by("-created_at", "-id")
    return referrals.filter(state__in=Referral.OPEN_STATES).first() or referrals.first()


def relevant_answers(answers: dict) -> list[tuple[str, str]]:
    """The answers that say something: every number, every "yes", every choice but the first
    (none, not at all); a "no" to a red-flag question is left out of a letter to a specialist."""
    rows = []
    for name, field in engine.FIELDS.items():
        value = answers.get(name)
        if field.kind == "int":
            rows.append((field.label, str(value)))
        elif field.kind == "bool" and value:
            rows.append((field.label, "Yes"))
        elif field.kind == "choice" and value and value != field.choices[0]:
            rows.append((field.label, dict(field.choice_pairs).get(value, value)))
    return rows


def _appointment(referral: Referral) -> Appointment | None:
    appointments = (
        Appointment.objects.filter(intake=referral.intake, service__pathway=referral.pathway)
        .select_related("location", "practitioner", "service")
        .order_by("-start")
    )
    return (
        appointments.filter(status=AppointmentStatus.BOOKED).first()
        or appointments.filter(status=AppointmentStatus.COMPLETED).first()
    )


def referral_summary(referral: Referral) -> dict:
    """Everything the summary shows, ready for the template (no queries left to make)."""
    intake = referral.intake
    decision = intake.current_decision
    location = intake.preferred_location
    appointment = _appointment(referral)
    when = None
    if appointment is not None:
        zone = appointment.location.zone
        when = (
            f"{appointment.start.astimezone(zone):%A %d %B %Y, %H:%M} "
            f"{appointment.start.astimezone(zone):%Z} ({appointment.location.time_zone})"
        )
    target = referral.target_date.astimezone(location.zone)
    return {
        "referral": referral,
        "intake": intake,
        "decision": decision,
        "location": location,
        "patient_name": f"{intake.first_name} {intake.last_name}",
        "age": intake.age,
        "red_flags": [engine.RED_FLAG_LABELS.get(code, code) for code in decision.red_flags],
        "reasons": list(decision.reasons),
        "override_reason": decision.override_reason,
        "decided_by": "Protocol engine" if decision.decided_by_engine else str(decision.decided_by),
        "answers": relevant_answers(intake.answers),
        "target": f"{target:%A %d %B %Y} ({location.time_zone})",
        "appointment": appointment,
        "appointment_time": when,
        "events": list(referral.events.select_related("actor")),
    }
