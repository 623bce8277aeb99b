"""allauth hooks: account emails go through the notification outbox, and an intake taken
before signing in is attached to the person when they sign in or sign up."""

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

    def login(self, request, user):
        super().login(request, user)
        if user.is_staff:
            return
        patient = services.patient_for_user(user)
        for public_id in request.session.pop(SESSION_INTAKES_KEY, []):
            services.claim_session_intake(public_id=public_id, patient=patient)
