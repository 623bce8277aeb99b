"""A private calendar feed per practitioner: a secret URL their calendar app subscribes to."""

import hashlib

from django.db import models


def token_digest(token: str) -> str:
    """Only this digest is stored: a copy of the database cannot be used to read the feed."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    practitioner = models.OneToOneField(
        "clinic.Practitioner", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    rotated_at = models.DateTimeField()
    rotated_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"Calendar feed of {self.practitioner}"
