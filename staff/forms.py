"""Forms of the queue's staff pages. They check shape only; the services decide."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError

from clinic.models import Location, Practitioner, Service
from clinic.scheduling import parse_slot_key
from triage.models import Pathway, Urgency


def written_reason(
    label: str, *, help_text: str, required: str, max_length: int | None = None, rows: int = 3
) -> forms.CharField:
    """A required free-text reason or note, as every staff action that needs one asks for it."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        error_messages={"required": required},
    )


class OverrideForm(forms.Form):
    pathway = forms.ChoiceField(choices=Pathway.choices, label="New pathway")
    urgency = forms.ChoiceField(choices=Urgency.choices, label="New urgency")
    reason = written_reason(
        "Reason for the override",
        help_text="Required. Kept with the decision and shown in its history.",
        required="Give a reason: an override without one is not recorded.",
        rows=4,
    )


class CloseForm(forms.Form):
    outcome = written_reason(
        "Outcome",
        help_text="What happened, e.g. 'Seen at the emergency department' or 'Declined care'.",
        required="Write the outcome before closing.",
        max_length=300,
    )


class _ServiceLocationForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), to_field_name="slug", empty_label=None
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), to_field_name="slug", empty_label=None
    )

    def __init__(self, *args, services, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["location"].queryset = locations


class ScheduleSearchForm(_ServiceLocationForm):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days", min_value=1, max_value=28, initial=7)


def _chosen_time(value, location) -> tuple[Practitioner, datetime]:
    """The practitioner and start a posted slot key names, at `location` (None: any)."""
    key = parse_slot_key(value)
    if key is None or (location is not None and key.location_id != location.pk):
        raise ValidationError("Choose one of the free times shown.")
    practitioner = Practitioner.objects.filter(pk=key.practitioner_id, is_active=True).first()
    if practitioner is None:
        raise ValidationError("Choose one of the free times shown.")
    return practitioner, key.start


_SLOT_REQUIRED = {"required": "Choose one of the free times."}


class ScheduleBookForm(_ServiceLocationForm):
    """The chosen time travels as `clinic.scheduling.slot_key`, the patient pages' key."""

    slot = forms.CharField(max_length=80, error_messages=_SLOT_REQUIRED)
    sms_consent = forms.BooleanField(
        required=False,
        label="The patient agreed to get their confirmation and reminders by text message",
        help_text="Only for a patient without an account, with a valid phone number.",
    )

    def clean_slot(self) -> tuple[Practitioner, datetime]:
        return _chosen_time(self.cleaned_data["slot"], self.cleaned_data.get("location"))


# --- The front desk (staff.front_desk) ----------------------------------------------------------


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Patient",
        max_length=100,
        help_text="Part of the name or email.",
        error_messages={"required": "Type part of the patient's name or email."},
    )


class FreeTimesForm(forms.Form):
    """Which free times to list: a practitioner (or anyone) from a local date, for some days."""

    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, empty_label="Anyone"
    )
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days", min_value=1, max_value=28, initial=7)

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class BookSearchForm(FreeTimesForm):
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), to_field_name="slug", empty_label=None
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), to_field_name="slug", empty_label=None
    )
    field_order = ("service", "location", "practitioner", "date_from", "days")

    def __init__(self, *args, services, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["location"].queryset = locations


class MoveForm(forms.Form):
    slot = forms.CharField(max_length=80, error_messages=_SLOT_REQUIRED)

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location

    def clean_slot(self) -> tuple[Practitioner, datetime]:
        return _chosen_time(self.cleaned_data["slot"], self.location)


class CancelForm(forms.Form):
    reason = written_reason(
        "Reason for cancelling",
        help_text="Required. Kept in the appointment's history; the patient is not shown it.",
        required="Give a reason: nothing is cancelled without one.",
        max_length=300,
    )


class DeclineReferralForm(forms.Form):
    reason = written_reason(
        "Reason for declining",
        help_text="Required. The patient is told this reason, so write it for them.",
        required="Give a reason: a referral is not declined without one.",
        max_length=1000,
        rows=4,
    )


class ReturnReferralForm(forms.Form):
    pathway = forms.ChoiceField(
        label="Return with advice for",
        choices=[(Pathway.PHYSIO, "Physiotherapy"), (Pathway.SELF_CARE, "Self-care")],
        widget=forms.RadioSelect,
    )
    reason = written_reason(
        "Reason",
        help_text="Required. The patient is told this reason, so write it for them.",
        required="Give a reason: a referral is not returned without one.",
        max_length=1000,
        rows=4,
    )


class HandleChangeRequestForm(forms.Form):
    resolution = forms.CharField(
        label="What was agreed", max_length=300, required=False, widget=forms.TextInput
    )
