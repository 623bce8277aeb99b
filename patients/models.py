"""Patient identity: the person behind an account, with what we need to reach them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class ContactPreference(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")


class Patient(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Null for a patient staff scheduled before they had an account (made from the intake's
    # contact details); signing up with `contact_email` and verifying it claims the record.
    user = models.OneToOneField(
        "clinic.User", null=True, blank=True, on_delete=models.PROTECT, related_name="patient"
    )
    contact_email = models.EmailField(
        blank=True, db_index=True, help_text="Where we write to a patient without an account."
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = PhoneNumberField(blank=True, region="US")
    contact_preference = models.CharField(
        max_length=10, choices=ContactPreference.choices, default=ContactPreference.EMAIL
    )
    preferred_location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The language every message to them is written in: set from the language switch while
    # signed in, and at sign-up and sign-in from the language the site is shown in.
    preferred_language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    # Consent, current state (patients.consent changes it; ConsentRecord keeps the history).
    sms_opt_in_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient agreed to texts at `phone`; empty: none."
    )
    privacy_notice_version = models.CharField(max_length=20, blank=True)
    privacy_notice_accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(contact_email=""),
                name="patient_has_account_or_email",
            )
        ]

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def email(self) -> str:
        return self.user.email if self.user_id else self.contact_email

    @property
    def has_account(self) -> bool:
        return self.user_id is not None

    @property
    def sms_number(self) -> str:
        """The number we may text, or "": texts need the patient's choice, a phone and a
        recorded opt-in (US TCPA: express consent before automated texts; STOP withdraws it)."""
        if (
            self.contact_preference == ContactPreference.SMS
            and self.phone
            and self.sms_opt_in_at is not None
        ):
            return str(self.phone)
        return ""


class ConsentRecord(models.Model):
    """Append-only history of a patient's consents: each acceptance, opt-in and opt-out, with
    who recorded it and how. The Patient row holds the current state."""

    class Kind(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", "Privacy notice"
        SMS = "sms", "Text messages"

    class Source(models.TextChoices):
        PATIENT = "patient", "The patient, online"
        STAFF = "staff", "Staff, for the patient"
        SMS_KEYWORD = "sms_keyword", "A text the patient sent (STOP, START)"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField()
    version = models.CharField(max_length=20, blank=True, help_text="Privacy notice version.")
    phone = models.CharField(max_length=20, blank=True, help_text="The number texts go to.")
    source = models.CharField(max_length=20, choices=Source.choices)
    recorded_by = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        verb = "agreed to" if self.granted else "withdrew"
        return f"{self.patient_id} {verb} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Consent history is append-only.")
        super().save(*args, **kwargs)


class AccessLog(models.Model):
    """Append-only record of who read which patient's data, when, from where and through what.

    Written by the access_* selectors; superusers browse it in the admin, nobody edits it.
    """

    actor = models.ForeignKey(
        "clinic.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Who, kept if the user is deleted.")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    via = models.CharField(max_length=200, help_text="The page, API call or export used.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.actor_label} read {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The access log is append-only.")
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A personal token for the JSON API. Only its SHA-256 is stored: the token itself is shown
    once when it is made, and a stolen database cannot be replayed against the API.

    `key_prefix` (the token's first characters) lets the owner tell their tokens apart.
    """

    user = models.ForeignKey("clinic.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None: never expires. A token past it authenticates nobody.
    expires_at = models.DateTimeField(null=True, blank=True)
    # A fingerprint of the owner's password hash when the token was made: a token lives no
    # longer than the password it was made under, like a session (patients.tokens).
    password_marker = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
