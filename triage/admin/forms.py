"""Forms of the queue's staff pages. They check shape only; the services decide."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.models import Location, Practitioner, Service
from triage.models import Pathway, Urgency


class OverrideForm(forms.Form):
    pathway = forms.ChoiceField(choices=Pathway.choices, label="New pathway")
    urgency = forms.ChoiceField(choices=Urgency.choices, label="New urgency")
    reason = forms.CharField(
        label="Reason for the override",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required. Kept with the decision and shown in its history.",
        error_messages={"required": "Give a reason: an override without one is not recorded."},
    )


class CloseForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened, e.g. 'Seen at the emergency department' or 'Declined care'.",
        error_messages={"required": "Write the outcome before closing."},
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


def slot_key(slot) -> str:
    """How a slot travels in a form: '<practitioner id>@<UTC start, ISO 8601>'."""
    return f"{slot.practitioner_id}@{slot.start.isoformat()}"


class ScheduleBookForm(_ServiceLocationForm):
    slot = forms.CharField(
        max_length=80, error_messages={"required": "Choose one of the free times."}
    )

    def clean_slot(self) -> tuple[Practitioner, datetime]:
        practitioner_id, _, start = self.cleaned_data["slot"].partition("@")
        try:
            start = datetime.fromisoformat(start)
            practitioner = Practitioner.objects.get(pk=int(practitioner_id), is_active=True)
        except (ValueError, Practitioner.DoesNotExist):
            raise ValidationError("Choose one of the free times shown.") from None
        if timezone.is_naive(start):
            raise ValidationError("Choose one of the free times shown.")
        return practitioner, start
