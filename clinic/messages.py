"""What a notification says: rendered at send time from current data, in the location's zone."""

from dataclasses import dataclass, field

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clinic import calendar, links
from clinic.models import AppointmentEvent, Notification, NotificationKind, StaffAlert, User
from clinic.scheduling.availability import nearest_alternatives
from clinic.scheduling.rules import before_change_cutoff

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
                # At send time: a visit inside the cutoff is not offered a change online.
                can_change_online=before_change_cutoff(appointment, timezone.now()),
                cutoff_hours=int(settings.BOOKING_CHANGE_CUTOFF.total_seconds() // 3600),
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


# --- Account emails with a live link: stored as ids, the link made when it is sent --------------
PASSWORD_RESET = "password_reset_key"  # noqa: S105  a template name
VERIFY_EMAIL = "email_confirmation"
VERIFY_SIGNUP = "email_confirmation_signup"


def account_context(kind: str, **ids) -> dict:
    """What the outbox keeps of a password-reset (`user_id`) or verification
    (`email_address_id`) email: which one and whose. No link, token or key."""
    return {"account_email": kind, **ids}


def _account_email(notification, stored: dict) -> Message:
    """allauth's own email, with a reset token (allauth's generator, Django's underneath) or a
    verification key (allauth's HMAC) made now: valid from when it is sent."""
    kind = stored["account_email"]
    if kind == PASSWORD_RESET:
        user = User.objects.get(pk=stored["user_id"], is_active=True)
        uid = user_pk_to_url_str(user)
        token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": token})
        context = {"user": user, "uid": uid, "key": token, "password_reset_url": path}
        url_name = "password_reset_url"
    elif kind in (VERIFY_EMAIL, VERIFY_SIGNUP):
        address = EmailAddress.objects.select_related("user").get(
            pk=stored["email_address_id"], verified=False
        )
        key = EmailConfirmationHMAC(address).key
        context = {"user": address.user, "key": key}
        context["activate_url"] = reverse("account_confirm_email", args=[key])
        url_name = "activate_url"
    else:
        raise ValueError(f"unknown account email {kind!r}")
    context[url_name] = settings.SITE_URL.rstrip("/") + context[url_name]
    context.update(email=notification.recipient, current_site=get_current_site(None))
    email = get_adapter().render_mail(f"account/email/{kind}", notification.recipient, context)
    alternatives = getattr(email, "alternatives", [])
    html = next((body for body, mimetype in alternatives if mimetype == "text/html"), "")
    return Message(email.subject, email.body, html)


def _render(notification, context, appointment) -> Message:
    if "account_email" in context:
        return _account_email(notification, context)
    if "rendered" in context:
        # Account emails without a secret (e.g. "you already have an account") arrive rendered.
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
