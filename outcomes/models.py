"""Recovery follow-ups: a series of short questionnaires after an intake, and their answers."""

import uuid

from django.db import models

from triage import engine


class Impression(models.TextChoices):
    """A 7-point global impression of change (a free, generic scale)."""

    VERY_MUCH_BETTER = "very_much_better", "Very much better"
    MUCH_BETTER = "much_better", "Much better"
    A_LITTLE_BETTER = "a_little_better", "A little better"
    NO_CHANGE = "no_change", "No change"
    A_LITTLE_WORSE = "a_little_worse", "A little worse"
    MUCH_WORSE = "much_worse", "Much worse"
    VERY_MUCH_WORSE = "very_much_worse", "Very much worse"


IMPROVED_IMPRESSIONS = (Impression.VERY_MUCH_BETTER, Impression.MUCH_BETTER)
WORSE_IMPRESSIONS = (Impression.MUCH_WORSE, Impression.VERY_MUCH_WORSE)
SBST_RISK_RANK = {risk: rank for rank, risk in enumerate(engine.SBST_RISKS)}


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        WEEKS_2 = "weeks_2", "2 weeks"
        WEEKS_6 = "weeks_6", "6 weeks"
        WEEKS_12 = "weeks_12", "12 weeks"
        DISCHARGE = "discharge", "2 weeks after discharge"

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        STOPPED = "stopped", "Stopped by the patient"
        EXPIRED = "expired", "Expired unanswered"

    OPEN_STATES = (State.PLANNED, State.SENT)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    intake = models.ForeignKey("triage.Intake", on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PLANNED)
    # Copied from the intake (and its current decision's pathway, kept in step by
    # `triage.services`), so the network's figures read this table alone, not 100,000 intakes.
    baseline_pain = models.PositiveSmallIntegerField()
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    pathway = models.CharField(max_length=20)
    runner = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The outcome, derived once from the answer (`outcomes.series.is_improved`; a runner who runs
    # again), so the network's figures count follow-ups without reading the answers. Null until
    # answered; back_to_running is null for a patient who does not run.
    improved = models.BooleanField(null=True, blank=True)
    back_to_running = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "kind"], name="one_follow_up_per_kind"),
        ]
        indexes = [models.Index(fields=["kind", "due_at"], name="follow_up_kind_due")]

    def __str__(self):
        return f"{self.get_kind_display()} follow-up ({self.get_state_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class FollowUpAnswer(models.Model):
    """What the patient answered; one per follow-up, never edited."""

    follow_up = models.OneToOneField(FollowUp, on_delete=models.PROTECT, related_name="answer")
    pain_score = models.PositiveSmallIntegerField()
    # The STarT Back items as the engine stores them (sbst_1..sbst_9), and its own score.
    sbst = models.JSONField()
    sbst_total = models.PositiveSmallIntegerField()
    sbst_risk = models.CharField(max_length=10)
    impression = models.CharField(max_length=20, choices=Impression.choices)
    # The red-flag answers asked again (engine field names).
    red_flag_answers = models.JSONField(default=dict)
    new_red_flags = models.JSONField(default=list)
    runs_again = models.BooleanField(null=True, blank=True)
    running_share = models.PositiveSmallIntegerField(null=True, blank=True)  # % of usual
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Answer to {self.follow_up}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Follow-up answers are never edited.")
        super().save(*args, **kwargs)
