"""Who is on call at each location, and the alerts that must reach one of them (protocol 6)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from .states import TransitionTable


class OnCallShift(models.Model):
    """One person on call at a location for a span of time. `order` 1 is alerted first; 2, 3 …
    are the next contacts an unacknowledged alert escalates to."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    person = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(
        max_length=30, blank=True, help_text="Mobile number for text alerts, e.g. +16125550123."
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    order = models.PositiveSmallIntegerField(
        default=1, help_text="1 is alerted first; 2 and up are the next contacts in turn."
    )

    class Meta:
        ordering = ["location", "starts_at", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="on_call_ends_after_it_starts"
            )
        ]

    def __str__(self):
        return f"{self.name} on call at {self.location} ({self.starts_at:%Y-%m-%d %H:%M} UTC)"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The shift must end after it starts."})


class Holiday(models.Model):
    """A day a location is closed: it is not a working day for "contact within 1 working day"."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date", "location"]
        constraints = [
            models.UniqueConstraint(fields=["location", "date"], name="one_holiday_a_day")
        ]

    def __str__(self):
        return f"{self.name} ({self.date:%Y-%m-%d}, {self.location})"


class ContactOutcome(models.TextChoices):
    SPOKE = "spoke", "Spoke to the patient"
    MESSAGE = "message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    SENT_TO_ED = "sent_to_ed", "Patient is at, or on the way to, an emergency department"


class StaffAlert(TransitionTable, models.Model):
    """An urgent or emergency intake that a person must acknowledge. Until someone does, it
    escalates every few minutes (ALERT_ESCALATION_MINUTES) to the next contact and the
    location's managers."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for someone"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    TRANSITIONS = {Status.OPEN: {Status.ACKNOWLEDGED}, Status.ACKNOWLEDGED: set()}
    state_noun = gettext_lazy("an alert")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    intake = models.ForeignKey("triage.Intake", on_delete=models.PROTECT, related_name="alerts")
    decision = models.ForeignKey(
        "triage.TriageDecision", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    urgency = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    level = models.PositiveSmallIntegerField(
        default=0, help_text="How many times it has escalated."
    )
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Urgent cases: "we will contact you within 1 working day" (protocol section 6), as an
    # instant in the location's calendar (clinic.working_days); cleared by recording the contact.
    contact_by = models.DateTimeField(null=True, blank=True, db_index=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    contact_outcome = models.CharField(max_length=20, choices=ContactOutcome.choices, blank=True)
    contact_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["decision"], name="one_alert_per_decision"),
        ]

    def __str__(self):
        return f"{self.urgency.capitalize()} alert at {self.location} ({self.get_status_display()})"


class StaffAlertEvent(models.Model):
    """Each step of an alert, for the audit: raised, escalated (to whom), a message not
    delivered (passed to whom), acknowledged (by whom)."""

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        ESCALATED = "escalated", "Escalated"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CONTACTED = "contacted", "Contact recorded"
        UNDELIVERED = "undelivered", "Not delivered: sent to the managers"

    alert = models.ForeignKey(StaffAlert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    recipients = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M} UTC"
