"""Intakes and the append-only decisions the protocol (or a clinician) made about them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.models.states import InvalidTransition, TransitionTable
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
    ROAD = "road", _("Road or pavement")
    TRAIL = "trail", _("Trail")
    TRACK = "track", _("Track")
    TREADMILL = "treadmill", _("Treadmill")
    MIXED = "mixed", _("A mix")


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
    # The language the intake was answered in: its messages are written in it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
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
    # The earlier intake whose follow-up said "worse": the new check continues that story.
    predecessor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors"
    )
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


class Referral(TransitionTable, models.Model):
    """The referral behind an imaging or surgical-consult decision, followed to the end.

    One open referral per intake (a conditional unique constraint); `triage.referrals` creates
    and moves it, and every move is a `ReferralEvent` (who, when, why). `target_date` is fixed
    when it is made (the intake's submission plus the section 6 staff target), so a cancelled or
    missed visit goes back to ready-to-schedule against its original target.
    """

    class State(models.TextChoices):
        AWAITING_REVIEW = "awaiting_review", "Awaiting clinician review"
        READY_TO_SCHEDULE = "ready_to_schedule", "Ready to schedule"
        SCHEDULED = "scheduled", "Scheduled"
        ATTENDED = "attended", "Attended"
        CLOSED = "closed", "Closed"
        RETURNED = "returned", "Returned with advice"
        DECLINED = "declined", "Declined"

    # The only moves a referral may make; `check_transition` is the one place that enforces
    # them. Returned, declined and closed are final.
    state_field = "state"
    state_noun = _("a referral")
    TRANSITIONS = {
        State.AWAITING_REVIEW: {State.READY_TO_SCHEDULE, State.RETURNED, State.DECLINED},
        State.READY_TO_SCHEDULE: {State.SCHEDULED, State.RETURNED, State.DECLINED},
        # Back to ready to schedule when the visit was cancelled or missed.
        State.SCHEDULED: {State.ATTENDED, State.READY_TO_SCHEDULE, State.RETURNED, State.DECLINED},
        State.ATTENDED: {State.CLOSED},
        State.CLOSED: set(),
        State.RETURNED: set(),
        State.DECLINED: set(),
    }
    OPEN_STATES = (
        State.AWAITING_REVIEW,
        State.READY_TO_SCHEDULE,
        State.SCHEDULED,
        State.ATTENDED,
    )
    # Who acts next in each state (protocol sections 6-7): for the queue and the summary.
    OWNER = {
        State.AWAITING_REVIEW: "Triage clinician",
        State.READY_TO_SCHEDULE: "Scheduler",
        State.SCHEDULED: "Imaging provider or surgeon",
        State.ATTENDED: "Triage clinician (close with the outcome)",
    }
    # A reason is part of these moves, not an option.
    NEEDS_REASON = (State.RETURNED, State.DECLINED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="referrals")
    pathway = models.CharField(max_length=20, choices=Pathway.choices)
    urgency = models.CharField(max_length=20, choices=Urgency.choices)
    state = models.CharField(max_length=20, choices=State.choices)
    target_date = models.DateTimeField()
    # Set when a scheduled visit was cancelled or missed; cleared when it is scheduled again.
    needs_attention = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake"],
                condition=Q(
                    state__in=["awaiting_review", "ready_to_schedule", "scheduled", "attended"]
                ),
                name="one_open_referral_per_intake",
            ),
            models.CheckConstraint(
                condition=Q(pathway__in=["imaging", "surgical_consult"]),
                name="referral_is_imaging_or_consult",
            ),
        ]

    def __str__(self):
        return f"{self.get_pathway_display()} referral ({self.get_state_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def owner(self) -> str:
        return self.OWNER.get(self.State(self.state), "—")

    def move(self, state: str, *, actor=None, reason: str = "") -> "ReferralEvent":
        """Validate and persist one move with its event (who, when, why).

        The minimal state change, kept on the model so the clinic domain (booking, a layer
        below `triage.services`) can record a booking, a cancellation or a missed visit; staff
        moves go through `triage.referrals.referral_move`, which locks the row and calls this.
        """
        self.check_transition(state)
        previous = self.state
        self.state = state
        if state == self.State.READY_TO_SCHEDULE and previous == self.State.SCHEDULED:
            self.needs_attention = True
        elif state != self.State.READY_TO_SCHEDULE:
            self.needs_attention = False
        update = ["state", "needs_attention", "updated_at"]
        if reason and state in self.NEEDS_REASON:
            self.reason = reason
            update.append("reason")
        self.save(update_fields=update)
        return ReferralEvent.objects.create(
            referral=self, from_state=previous, to_state=state, actor=actor, reason=reason
        )


class ReferralEvent(models.Model):
    """One move of a referral: who (null: the system, e.g. a booking), when and why.

    Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=20, choices=Referral.State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=Referral.State.choices)
    actor = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Referral events are append-only.")
        super().save(*args, **kwargs)
