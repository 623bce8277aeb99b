"""Where care happens and who gives it: locations, practitioners, services and their hours."""

import zoneinfo
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import translation

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
    # What Spanish-reading patients see; blank shows the English.
    name_es = models.CharField("name (Spanish)", max_length=100, blank=True)
    description_es = models.TextField("description (Spanish)", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="service_duration_at_least_5_min"
            )
        ]

    def __str__(self):
        return self.name

    # The one place a patient's page or message picks the service's words: the active language
    # (a request's, or the patient's inside a message's `translation.override`).
    @property
    def patient_name(self) -> str:
        return self._in_active_language("name")

    @property
    def patient_description(self) -> str:
        return self._in_active_language("description")

    def _in_active_language(self, field: str) -> str:
        if (translation.get_language() or "").startswith("es"):
            return getattr(self, f"{field}_es") or getattr(self, field)
        return getattr(self, field)


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

    def clean(self):
        super().clean()
        if not (self.practitioner_id and self.start_time and self.end_time):
            return
        if self.end_time <= self.start_time:
            raise ValidationError("The hours must end after they start.")
        clash = (
            WorkingHours.objects.filter(
                practitioner_id=self.practitioner_id,
                weekday=self.weekday,
                start_time__lt=self.end_time,
                end_time__gt=self.start_time,
            )
            .exclude(pk=self.pk)
            .select_related("location")
            .first()
        )
        if clash is not None:
            raise ValidationError(_clash_message(self.practitioner, clash, clash.location))


def _clash_message(practitioner, other, location) -> str:
    when = (
        f"{other.date:%A} {other.date.day} {other.date:%B %Y}"
        if isinstance(other, DateOverride)
        else f"{other.get_weekday_display()}s"
    )
    return (
        f"{practitioner} already works {other.start_time:%H:%M}-{other.end_time:%H:%M} at "
        f"{location} on {when}. One person cannot work two places at once: change or remove "
        "those hours first."
    )


class DateOverride(models.Model):
    """One local date on which a practitioner's hours differ from their weekly pattern.

    `instead`: that day they work these hours (at this location) and none of their weekly
    hours; several `instead` rows on one date add up. `extra`: these hours on top of the week.
    `closed`: nothing at all that day, whatever else is recorded. Times are the location's.
    """

    class Kind(models.TextChoices):
        INSTEAD = "instead", "Works these hours instead of the usual week"
        EXTRA = "extra", "Extra hours on top of the usual week"
        CLOSED = "closed", "Closed: no appointments that day"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="date_overrides"
    )
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INSTEAD)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="date_overrides",
        help_text="Where they work that day (leave empty for a closed day).",
    )
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["date", "practitioner"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="closed",
                        location__isnull=True,
                        start_time__isnull=True,
                        end_time__isnull=True,
                    )
                    | Q(
                        kind__in=["instead", "extra"],
                        location__isnull=False,
                        start_time__isnull=False,
                        end_time__gt=F("start_time"),
                    )
                ),
                name="date_override_hours_match_kind",
            )
        ]
        # PostgreSQL also refuses overlapping hours of one practitioner on one date (migration
        # clinic 0011); `clean` says so in words first.

    def __str__(self):
        day = f"{self.date:%a} {self.date:%Y-%m-%d}"
        if self.kind == self.Kind.CLOSED:
            return f"{self.practitioner}: closed on {day}"
        return (
            f"{self.practitioner} at {self.location}, {day} "
            f"{self.start_time:%H:%M}-{self.end_time:%H:%M} ({self.kind})"
        )

    @property
    def is_closed(self) -> bool:
        return self.kind == self.Kind.CLOSED

    def clean(self):
        super().clean()
        if self.is_closed:
            if self.location_id or self.start_time or self.end_time:
                raise ValidationError(
                    "A closed day has no location or hours: leave them empty, or choose "
                    "another kind."
                )
        else:
            missing = [
                label
                for label, value in (
                    ("location", self.location_id),
                    ("start time", self.start_time),
                    ("end time", self.end_time),
                )
                if not value
            ]
            if missing:
                raise ValidationError(f"Give the {' and '.join(missing)} of these hours.")
            if self.end_time <= self.start_time:
                raise ValidationError("The hours must end after they start.")
        if self.practitioner_id and self.date:
            self._check_no_clash()

    def _check_no_clash(self):
        same_day = DateOverride.objects.filter(
            practitioner_id=self.practitioner_id, date=self.date
        ).exclude(pk=self.pk)
        day = f"{self.date:%A} {self.date.day} {self.date:%B %Y}"
        if self.is_closed:
            if same_day.exclude(kind=self.Kind.CLOSED).exists():
                raise ValidationError(
                    f"{self.practitioner} has hours recorded on {day}: remove them before "
                    "closing the day."
                )
            return
        if same_day.filter(kind=self.Kind.CLOSED).exists():
            raise ValidationError(f"{self.practitioner} is marked closed on {day}.")
        overlapping = {"start_time__lt": self.end_time, "end_time__gt": self.start_time}
        clash = same_day.filter(**overlapping).select_related("location").first()
        if clash is not None:
            raise ValidationError(_clash_message(self.practitioner, clash, clash.location))
        week_applies = (
            self.kind == self.Kind.EXTRA and not same_day.exclude(kind=self.Kind.EXTRA).exists()
        )
        if week_applies:
            weekly = (
                WorkingHours.objects.filter(
                    practitioner_id=self.practitioner_id,
                    weekday=self.date.weekday(),
                    **overlapping,
                )
                .select_related("location")
                .first()
            )
            if weekly is not None:
                raise ValidationError(_clash_message(self.practitioner, weekly, weekly.location))


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
    # The patient stops waiting then: no offer is made or held after it (empty: no end).
    wait_until = models.DateTimeField(null=True, blank=True)

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
