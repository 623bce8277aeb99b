"""The notification outbox: the database row is the truth; Celery only carries the nudge."""

from django.db import models
from django.db.models import Q


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class NotificationKind(models.TextChoices):
    BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
    REMINDER = "reminder", "Reminder"
    CANCELLATION = "cancellation", "Cancellation notice"
    RESCHEDULE = "reschedule", "Reschedule notice"
    STAFF_ALERT = "staff_alert", "Staff alert (urgent or emergency intake)"
    SELF_CARE_CHECK_IN = "self_care_check_in", "Self-care check-in (2 weeks)"
    SAFETY_NET_CHECK_IN = "safety_net_check_in", "Safety-net check-in (4 weeks)"
    NO_SHOW_FOLLOW_UP = "no_show_follow_up", "No-show follow-up"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer (first to book, before holds)"
    WAITLIST_HOLD = "waitlist_hold", "Waitlist offer held for the patient"
    ACCOUNT = "account", "Account email (verification, password reset)"
    REVIEW_OUTCOME = "review_outcome", "Clinician review outcome"
    REFERRAL_DECLINED = "referral_declined", "Referral declined"
    REFERRAL_RETURNED = "referral_returned", "Referral returned with advice"
    FOLLOW_UP = "follow_up", "Recovery follow-up (2, 6, 12 weeks, after discharge)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Notification(models.Model):
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    recipient = models.CharField(max_length=254)
    # Planned once: e.g. "appointment:<uuid>:reminder:48h". A retry of the planning is a no-op.
    key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=200, blank=True)
    # Template name and context to render at send time, so a message shows current data.
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    appointment = models.ForeignKey(
        "clinic.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    intake = models.ForeignKey(
        "triage.Intake", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set by the sender's own claim (a conditional UPDATE), so a redelivered task skips the row.
    send_started_at = models.DateTimeField(null=True, blank=True)
    # When the first try failed: transient failures retry until NOTIFICATION_RETRY_HOURS after it.
    first_failed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="pending"), name="notification_due_pending"
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="notification_stuck_sending",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"
