"""Forms of the privacy pages: shape only; patients.privacy decides and records."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patients import consent, services


def _accept_field() -> forms.BooleanField:
    return forms.BooleanField(
        error_messages={"required": _("Tick the box to accept the privacy notice.")}
    )


def _accept_label():
    # Built per form, in the request's language, with the link to the notice.
    return format_html(
        gettext(
            "I have read and accept the "
            '<a href="{url}" target="_blank" rel="noopener">privacy notice</a>.'
        ),
        url=reverse("patients:privacy_notice"),
    )


class SignupConsentForm(forms.Form):
    """allauth's sign-up form gets this required box (ACCOUNT_SIGNUP_FORM_CLASS); the
    acceptance is recorded, with the notice's version, once the account exists."""

    accept_privacy_notice = _accept_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept_privacy_notice"].label = _accept_label()

    def signup(self, request, user):
        patient = services.patient_for_user(user)
        consent.accept_privacy_notice(patient=patient, by=user)


class PrivacyNoticeAcceptForm(forms.Form):
    """The same box, for a patient signed in when the notice has changed."""

    accept_privacy_notice = _accept_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept_privacy_notice"].label = _accept_label()
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's form carries `next`
        self.helper.add_input(Submit("accept", _("Accept and continue")))


class DeletionRequestForm(forms.Form):
    understood = forms.BooleanField(
        label=(
            "I understand that my account will be closed and my name and contact details "
            "removed, and that the clinic keeps the record of care it has given."
        ),
        error_messages={"required": "Tick the box to confirm that you want your account deleted."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = "patients:privacy_delete"
        button = Submit("delete", "Ask to delete my account")
        button.field_classes = "btn btn-danger"
        self.helper.add_input(button)
