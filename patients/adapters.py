"""allauth hooks: account emails go through the notification outbox; an intake taken before
signing in is attached to the person when they sign in or sign up, and records staff made for
their email are claimed once that email is verified.

The password-reset and verification emails carry a live link: the outbox stores only which
email it is and whose (`clinic.messages.account_context`), and the link is made when the email
is sent. Other account emails (no secret in them) are stored rendered until sent.
"""

import uuid

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.utils import timezone

from clinic import messages, notifications
from clinic.models import NotificationKind
from patients import services
from patients.selectors import SESSION_INTAKES_KEY


class PatientAccountAdapter(DefaultAccountAdapter):
    def send_password_reset_mail(self, user, email, context):
        # allauth made a token for `context`: it is dropped; a fresh one is made at send time.
        _plan(email, messages.account_context(messages.PASSWORD_RESET, user_id=user.pk))

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        if allauth_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED:
            return super().send_confirmation_mail(request, emailconfirmation, signup)
        address = emailconfirmation.email_address
        kind = messages.VERIFY_SIGNUP if signup else messages.VERIFY_EMAIL
        _plan(address.email, messages.account_context(kind, email_address_id=address.pk))
        return None

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        rendered = {"subject": message.subject, "text": message.body, "html": html}
        _plan(email, {"rendered": rendered}, name=template_prefix.rsplit("/", 1)[-1])

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        # Records staff made for this email before the account existed are the account's now
        # that it has shown it owns the address (never before: see services.claim_records).
        if confirmed:
            services.claim_records(user=email_address.user)
        return confirmed

    def login(self, request, user):
        super().login(request, user)
        if user.is_staff:
            return
        services.claim_records(user=user)
        patient = services.patient_for_user(user)
        services.set_preferred_language(patient, request.LANGUAGE_CODE)
        for public_id in request.session.pop(SESSION_INTAKES_KEY, []):
            services.claim_session_intake(public_id=public_id, patient=patient)


def _plan(email: str, context: dict, *, name: str = "") -> None:
    notifications.plan(
        key=f"account:{name or context['account_email']}:{uuid.uuid4()}",
        kind=NotificationKind.ACCOUNT,
        recipient=email,
        template="notifications/account",
        due_at=timezone.now(),
        context=context,
    )
    # Account emails matter now (a person is waiting for the link): nudge the worker
    # instead of waiting for the next minute's dispatch. If the broker is down, beat will.
    notifications.dispatch_soon()
