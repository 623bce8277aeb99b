"""Where care happens and who gives it: locations, practitioners, services and their hours."""

import zoneinfo
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from triage.engine import PATHWAYS


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as America/Chicago.")


class Discipline(models.TextChoices):
    PHYSIOTHERAPY = "physiotherapy", "Physiotherapy"
    IMAGING = "imaging", "Imaging"
    SPINE_SURGERY = "spine_surgery", "Spine surgery"


PATHWAY_CHOICES = [(p, p.replace("_", " ").capitalize()) for p in PATHWAYS]


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    address = models.CharField(max_length=200)
    phone = models.CharField(max_length=30)
    time_zone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_time_zone]
    )
    on_call_email = models.EmailField(
        help_text="Urgent and emergency intakes for this location alert this address at once."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Practitioner(models.Model):
    user = models.OneToOneField(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="practitioner"
    )
    display_name = models.CharField(max_length=100)
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    locations = models.ManyToManyField(Location, related_name="practitioners")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


class Service(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    pathway = models.CharField(max_length=20, choices=PATHWAY_CHOICES)
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    duration_minutes = models.PositiveSmallIntegerField()
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    bookable_online = models.BooleanField(
        default=False, help_text="Patients may book it themselves; otherwise staff schedule it."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="service_duration_at_least_5_min"
            )
        ]

    def __str__(self):
        return self.name


class WorkingHours(models.Model):
    """A block of a practitioner's week at one location, in that location's local time."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        verbose_name_plural = "working hours"
        ordering = ["practitioner", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="working_hours_end_after_start"
            )
        ]

    def __str__(self):
        return (
            f"{self.practitioner} at {self.location}, {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        )


class TimeOff(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "time off"
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="time_off_end_after_start")
        ]

    def __str__(self):
        return f"{self.practitioner}: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


class WaitlistEntry(models.Model):
    """A patient waiting for a service at some locations when nothing fitted their target window."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    intake = models.ForeignKey("triage.Intake", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    locations = models.ManyToManyField(Location)
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "waitlist entries"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "service"],
                condition=Q(fulfilled_at__isnull=True),
                name="one_open_waitlist_entry_per_intake_service",
            )
        ]

    def __str__(self):
        return f"{self.patient} waiting for {self.service}"
