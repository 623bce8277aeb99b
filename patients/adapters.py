"""allauth hooks: account emails go through the notification outbox; an intake taken before
signing in is attached to the person when they sign in or sign up, and records staff made for
their email are claimed once that email is verified."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import timezone

from clinic import notifications
from clinic.models import NotificationKind
from patients import services
from patients.selectors import SESSION_INTAKES_KEY


class PatientAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        notifications.plan(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4()}",
            kind=NotificationKind.ACCOUNT,
            recipient=email,
            template="notifications/account",
            due_at=timezone.now(),
            context={"rendered": {"subject": message.subject, "text": message.body, "html": html}},
        )
        # Account emails matter now (a person is waiting for the link): nudge the worker
        # instead of waiting for the next minute's dispatch. If the broker is down, beat will.
        notifications.dispatch_soon()

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
