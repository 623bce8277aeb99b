"""What a notification says: rendered at send time from current data, in the location's zone."""

from dataclasses import dataclass, field

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from clinic import calendar, links
from clinic.models import AppointmentEvent, Notification, NotificationKind, StaffAlert
from clinic.scheduling.availability import nearest_alternatives

# Every message that changes what the patient's calendar should show carries the event: the
# same UID each time, a higher SEQUENCE, and METHOD:CANCEL once cancelled (clinic.calendar).
CALENDAR_KINDS = (
    NotificationKind.BOOKING_CONFIRMATION,
    NotificationKind.RESCHEDULE,
    NotificationKind.CANCELLATION,
)
NEW_TIMES_OFFERED = 3


@dataclass
class Message:
    subject: str
    text: str
    html: str = ""
    attachments: list = field(default_factory=list)


def render(notification: Notification) -> Message:
    # Written in the patient's language (staff alerts stay English), whatever language the
    # request or worker that sends it happens to be in.
    with translation.override(_language(notification)):
        return _render_in_language(notification)


def _language(notification: Notification) -> str:
    if notification.kind == NotificationKind.STAFF_ALERT:
        return "en"
    patient = notification.appointment.patient if notification.appointment_id else None
    intake = notification.intake if notification.intake_id else None
    if patient is None and intake is not None:
        patient = intake.patient
    if patient is not None:
        return patient.preferred_language
    return intake.language if intake is not None else settings.LANGUAGE_CODE


def _render_in_language(notification: Notification) -> Message:
    context = {
        "notification": notification,
        "site_url": settings.SITE_URL,
        **notification.context,
    }
    appointment = notification.appointment
    if appointment is not None:
        with timezone.override(appointment.location.zone):
            context.update(
                appointment=appointment,
                manage_url=links.manage_url(appointment),
            )
            if notification.kind == NotificationKind.CANCELLATION:
                context["new_times"] = _new_times_if_we_cancelled(appointment)
            return _render(notification, context, appointment)
    if notification.intake_id:
        context["intake"] = notification.intake
        if notification.kind == NotificationKind.STAFF_ALERT:
            context["decision"] = notification.intake.decisions.get(pk=context["decision_id"])
            context["admin_url"] = (
                f"{settings.SITE_URL}/admin/triage/intake/{notification.intake.pk}/change/"
            )
            alert = StaffAlert.objects.filter(pk=context.get("alert_id")).first()
            if alert is not None:
                context.update(alert=alert, ack_url=links.alert_ack_url(alert))
        with timezone.override(notification.intake.preferred_location.zone):
            return _render(notification, context, None)
    return _render(notification, context, None)


def render_plain(template_name: str, context: dict) -> str:
    """Render a plain-text template (mail text, subject, SMS) without HTML escaping:
    `O'Brien & Sons` stays as written, not `O&#x27;Brien &amp; Sons`."""
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def _render(notification, context, appointment) -> Message:
    if "rendered" in context:
        # Account emails (verification, password reset) arrive already rendered by allauth.
        rendered = context["rendered"]
        return Message(rendered["subject"], rendered["text"], rendered.get("html", ""))
    if notification.kind == NotificationKind.ACCOUNT:
        # Its text was removed once sent (it held a live link); a resend has nothing to say.
        raise ValueError("the account email's text is no longer kept; ask the person to retry")
    base = notification.template
    subject = render_plain(f"{base}_subject.txt", context).strip()
    text = render_plain(f"{base}.txt", context).strip()
    html = render_to_string(f"{base}.html", context) if notification.channel == "email" else ""
    attachments = []
    if appointment is not None and notification.kind in CALENDAR_KINDS:
        attachments.append(("appointment.ics", calendar.ics_for(appointment), "text/calendar"))
    return Message(" ".join(subject.split()), text, html, attachments)


def _new_times_if_we_cancelled(appointment) -> list:
    """When the clinic cancelled (not the patient), the nearest free times for the same service
    at the same place, looked up as the message is sent so they are still free then."""
    cancelled = (
        appointment.events.filter(kind=AppointmentEvent.Kind.CANCELLED).order_by("-id").first()
    )
    if cancelled is None or cancelled.actor_id in (None, appointment.patient.user_id):
        return []
    slots = nearest_alternatives(
        service=appointment.service,
        location=appointment.location,
        start=appointment.start,
        count=NEW_TIMES_OFFERED,
    )
    return sorted(slots, key=lambda slot: slot.start)
