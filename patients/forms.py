"""Patient portal forms: shape only (types, ranges, choices); the services decide the rest."""

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clinic.models import Location
from clinic.scheduling import parse_slot_key
from clinic.security import refuse_control_characters
from patients.models import ContactPreference, Patient
from patients.services import PROFILE_FIELDS


class RefusesControlCharacters:
    """Mixin for a form, first in the bases: every text field refuses control characters, as
    the API does (`clinic.security.refuse_control_characters`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)


class SlotSearchForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(),
        to_field_name="slug",
        empty_label=None,
        label=_("Location"),
        help_text=_("Times are shown in the clinic's local time."),
    )
    date = forms.DateField(
        required=False,
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("We show a week of times from this day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        # Replace crispy's "btn btn-primary" rather than add to it: both classes together drew
        # blue text on a blue button.
        button = Submit("search", _("Show times"))
        button.field_classes = "btn btn-outline-primary"
        self.helper.add_input(button)

    def clean_date(self):
        value = self.cleaned_data.get("date") or timezone.localdate()
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        if value > timezone.localdate() + dt.timedelta(days=366):
            raise forms.ValidationError(_("Choose a day within the next year."))
        return value


class SlotChoiceForm(RefusesControlCharacters, forms.Form):
    """The chosen time, carried as an opaque key (`clinic.scheduling.slot_key`); the service
    re-checks that it is still free."""

    slot = forms.CharField(max_length=60)

    def clean_slot(self):
        parsed = parse_slot_key(self.cleaned_data["slot"])
        if parsed is None:
            raise forms.ValidationError(_("That time is not one we offered. Please choose again."))
        return parsed


class CancelForm(RefusesControlCharacters, forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=300,
        label=_("Reason (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ChangeRequestForm(RefusesControlCharacters, forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=_("What do you need changed, and why?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us briefly why you need a change.")},
    )
    preferred_times = forms.CharField(
        required=False,
        max_length=300,
        label=_("Times that suit you (optional)"),
        help_text=_("For example: weekday mornings, or any time after 4 PM."),
    )


class WaitlistForm(forms.Form):
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        label=_("Clinics you could get to"),
        error_messages={"required": _("Choose at least one clinic.")},
    )


class ProfileForm(RefusesControlCharacters, forms.ModelForm):
    # US law (TCPA) asks for express consent before automated texts: an explicit box, never
    # ticked for the patient, and the time it was ticked is recorded (patients.consent).
    sms_opt_in = forms.BooleanField(
        required=False,
        label=_(
            "Text me appointment confirmations, reminders and updates at this number. "
            "Reply STOP to any text to stop them, START to start again."
        ),
    )

    class Meta:
        model = Patient
        fields = PROFILE_FIELDS
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
        # The model's own names are for the admin (English); a patient reads these.
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "date_of_birth": _("Date of birth"),
            "phone": _("Phone"),
            "contact_preference": _("Contact preference"),
            "preferred_location": _("Preferred location"),
        }
        help_texts = {
            "phone": _("A US mobile number, for text message reminders."),
            "contact_preference": _("How we send confirmations and reminders."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agreed_at = self.instance.sms_opt_in_at
        self.fields["sms_opt_in"].initial = agreed_at is not None
        if agreed_at is not None:
            self.fields["sms_opt_in"].help_text = _("You agreed to texts on %(date)s.") % {
                "date": date_format(timezone.localtime(agreed_at), "DATE_FORMAT")
            }
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        if value and not (dt.date(1900, 1, 1) <= value <= timezone.localdate()):
            raise forms.ValidationError(_("Enter your real date of birth."))
        return value

    def clean(self):
        cleaned = super().clean()
        wants_texts = cleaned.get("contact_preference") == ContactPreference.SMS
        if (wants_texts or cleaned.get("sms_opt_in")) and not cleaned.get("phone"):
            self.add_error("phone", _("Add a mobile number to get text messages."))
        elif wants_texts and not cleaned.get("sms_opt_in"):
            self.add_error("sms_opt_in", _("Tick this box to get text messages, or choose email."))
        return cleaned
