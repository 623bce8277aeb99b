"""Offers of freed times to waitlisted patients, each held for one patient for a while."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class WaitlistOffer(models.Model):
    """One freed time offered to one waitlist entry and held for it until `expires_at`.

    While held (and the entry is open), availability treats the time as taken for everyone but
    the holder. An expired hold passes the time to the next entry; each entry is offered one
    time once.
    """

    class State(models.TextChoices):
        HELD = "held", "Held for the patient"
        ACCEPTED = "accepted", "Accepted and booked"
        EXPIRED = "expired", "Expired and passed on"
        RELEASED = "released", "Released (the patient booked another time or stopped waiting)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(
        "clinic.WaitlistEntry", on_delete=models.CASCADE, related_name="offers"
    )
    practitioner = models.ForeignKey(
        "clinic.Practitioner", on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey("clinic.Location", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The end plus the service's buffer: what the hold keeps free, as an appointment would.
    blocked_until = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "clinic.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-offered_at", "-id"]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(state="held"), name="waitlist_offer_held"
            ),
            models.Index(fields=["practitioner", "start"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "practitioner", "start"], name="waitlist_time_offered_once"
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=F("end")) & Q(end__gt=F("start")),
                name="waitlist_offer_times_ordered",
            ),
        ]
        # PostgreSQL also refuses two holds over overlapping times of one practitioner
        # (migration clinic 0011).

    def __str__(self):
        local = self.start.astimezone(self.location.zone)
        return f"{local:%Y-%m-%d %H:%M %Z} at {self.location}: {self.get_state_display()}"

    def is_live(self, now) -> bool:
        return self.state == self.State.HELD and self.expires_at > now
