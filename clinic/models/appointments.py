"""Appointments: times stored in UTC, shown in the location's zone, with a small state machine."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .states import InvalidTransition, TransitionTable

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "ChangeRequest",
    "InvalidTransition",
]


class AppointmentStatus(models.TextChoices):
    # Shown to patients (their pages are translated); the admin stays English.
    BOOKED = "booked", _("Booked")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Did not attend")


class Appointment(TransitionTable, models.Model):
    state_noun = _("an appointment")
    Status = AppointmentStatus
    # booked -> completed / cancelled / no_show; the other states are final.
    TRANSITIONS = {
        Status.BOOKED: {Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.NO_SHOW: set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        "clinic.Practitioner", on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="appointments"
    )
    service = models.ForeignKey(
        "clinic.Service", on_delete=models.PROTECT, related_name="appointments"
    )
    intake = models.ForeignKey(
        "triage.Intake",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    # The end plus the service's buffer: the practitioner is unavailable until then. The
    # PostgreSQL exclusion constraint is on [start, blocked_until), so buffers cannot be overrun.
    blocked_until = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["practitioner", "start"]),
            models.Index(fields=["location", "start"]),
            # A practitioner's busy times from a moment on (availability): the booked visits
            # that end after it, not every past visit that starts before the range's end.
            models.Index(
                fields=["practitioner", "blocked_until"],
                condition=Q(status="booked"),
                name="appointment_booked_until",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=F("end")), name="appointment_buffer_not_negative"
            ),
            # No slot hoarding: one active booking per intake and service.
            models.UniqueConstraint(
                fields=["intake", "service"],
                condition=Q(status="booked"),
                name="one_active_booking_per_intake_service",
            ),
        ]

    def __str__(self):
        return f"{self.service} with {self.practitioner} at {self.local_start:%Y-%m-%d %H:%M %Z}"

    @property
    def local_start(self):
        return self.start.astimezone(self.location.zone)

    @property
    def local_end(self):
        return self.end.astimezone(self.location.zone)

    @property
    def is_active(self) -> bool:
        return self.status == AppointmentStatus.BOOKED


class AppointmentEvent(models.Model):
    """What happened to an appointment, and who did it: the history kept across reschedules."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "Did not attend"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous_start = models.DateTimeField(null=True, blank=True)
    previous_practitioner = models.ForeignKey(
        "clinic.Practitioner", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class ChangeRequest(TransitionTable, models.Model):
    """A patient asks staff to move or cancel a visit they may not change online (a scan or a
    consult, protocol section 7). Open until staff reschedule or cancel the visit, or mark it
    handled; the queue shows the open ones. Kept, with who handled it, for the record."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        HANDLED = "handled", "Handled"

    state_field = "state"
    state_noun = _("a change request")
    TRANSITIONS = {State.OPEN: {State.HANDLED}, State.HANDLED: set()}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="change_requests"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    reason = models.CharField(max_length=500)
    preferred_times = models.CharField(max_length=300, blank=True)
    # Null when the request came through the signed link (a patient without an account).
    requested_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=40)
    handled_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One open request per visit: asking again adds nothing for staff to do.
            models.UniqueConstraint(
                fields=["appointment"], condition=Q(state="open"), name="one_open_change_request"
            )
        ]

    def __str__(self):
        return f"Change request for {self.appointment} ({self.get_state_display().lower()})"
