"""Intakes and the append-only decisions the protocol (or a clinician) made about them."""

import uuid

from django.db import models
from django.db.models import Q

from clinic.models.appointments import InvalidTransition
from triage import engine

URGENCY_RANK = {urgency: rank for rank, urgency in enumerate(engine.URGENCIES)}


class Pathway(models.TextChoices):
    SELF_CARE = "self_care", "Self-care"
    PHYSIO = "physio", "Physiotherapy"
    IMAGING = "imaging", "Imaging"
    SURGICAL_CONSULT = "surgical_consult", "Surgical consult"


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    SOON = "soon", "Soon"
    ROUTINE = "routine", "Routine"


class Surface(models.TextChoices):
    ROAD = "road", "Road or pavement"
    TRAIL = "trail", "Trail"
    TRACK = "track", "Track"
    TREADMILL = "treadmill", "Treadmill"
    MIXED = "mixed", "A mix"


class Intake(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        SCHEDULED = "scheduled", "Scheduled"
        CLOSED = "closed", "Closed"

    # The only moves an intake's status may make; `check_transition` is the one place that
    # enforces them. Moving to the status it already has is a no-op and always allowed (staff
    # edit a closed intake's outcome; rebooking keeps it scheduled). A closed intake is final:
    # it is never reopened.
    TRANSITIONS = {
        Status.NEW: {Status.CONTACTED, Status.SCHEDULED, Status.CLOSED},
        Status.CONTACTED: {Status.SCHEDULED, Status.CLOSED},
        # Back to contacted when the appointment was cancelled or missed.
        Status.SCHEDULED: {Status.CONTACTED, Status.SCHEDULED, Status.CLOSED},
        Status.CLOSED: set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intakes",
    )
    # The protocol answers exactly as submitted; never edited (an override adds a decision).
    answers = models.JSONField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    # Runner context: shown to clinicians, never changes the pathway.
    weekly_distance_km = models.PositiveSmallIntegerField(null=True, blank=True)
    years_running = models.PositiveSmallIntegerField(null=True, blank=True)
    usual_surface = models.CharField(max_length=20, choices=Surface.choices, blank=True)
    shoe_age_months = models.PositiveSmallIntegerField(null=True, blank=True)
    recent_race = models.BooleanField(default=False)
    preferred_location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="intakes"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=300, blank=True)
    # Denormalised from the newest decision, written by the same service in the same transaction,
    # so the staff queue orders 100,000 intakes by an index instead of a subquery.
    current_decision = models.OneToOneField(
        "triage.TriageDecision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency_rank = models.PositiveSmallIntegerField(default=URGENCY_RANK["routine"])
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["urgency_rank", "created_at"]
        indexes = [
            models.Index(fields=["urgency_rank", "created_at"], name="intake_queue_order"),
            models.Index(fields=["preferred_location", "urgency_rank", "created_at"]),
        ]

    def __str__(self):
        return f"Intake {str(self.public_id)[:8]} ({self.first_name} {self.last_name})"

    @property
    def age(self) -> int:
        return self.answers.get("age")

    def check_transition(self, new_status: str) -> None:
        """Raise InvalidTransition, with a message for staff, unless the move is allowed."""
        if new_status not in self.Status.values:
            raise InvalidTransition(f"“{new_status}” is not an intake status.")
        if new_status == self.status or new_status in self.TRANSITIONS[self.Status(self.status)]:
            return
        current = self.Status(self.status).label.lower()
        if new_status == self.Status.NEW:
            raise InvalidTransition(f"A {current} intake cannot go back to new.")
        if self.status == self.Status.CLOSED:
            raise InvalidTransition(
                f"A closed intake cannot be reopened as {self.Status(new_status).label.lower()}."
            )
        raise InvalidTransition(
            f"A {current} intake cannot become {self.Status(new_status).label.lower()}."
        )


class TriageDecision(models.Model):
    """One decision about an intake. Append-only: an override is a new row, never an edit."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="decisions")
    pathway = models.CharField(max_length=20, choices=Pathway.choices)
    urgency = models.CharField(max_length=20, choices=Urgency.choices)
    emergency_advice = models.BooleanField()
    clinician_review = models.BooleanField()
    rule = models.CharField(max_length=10)
    red_flags = models.JSONField(default=list)
    safety_net = models.JSONField(default=list)
    sbst_total = models.PositiveSmallIntegerField()
    sbst_psychosocial = models.PositiveSmallIntegerField()
    sbst_risk = models.CharField(max_length=10)
    reasons = models.JSONField(default=list)
    protocol_version = models.CharField(max_length=20)
    # Null means the protocol engine decided; otherwise the clinician who overrode, with why.
    decided_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(override_reason=""),
                name="staff_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(urgency="emergency") & Q(emergency_advice=True))
                | (~Q(urgency="emergency") & Q(emergency_advice=False)),
                name="emergency_advice_iff_emergency",
            ),
        ]

    def __str__(self):
        return f"{self.get_pathway_display()} / {self.get_urgency_display()} ({self.rule})"

    def save(self, *args, **kwargs):
        # Append-only is an invariant, not a side effect: refuse to rewrite history.
        if self.pk is not None:
            raise ValueError("Triage decisions are append-only; add a new decision instead.")
        super().save(*args, **kwargs)

    @property
    def decided_by_engine(self) -> bool:
        return self.decided_by_id is None
