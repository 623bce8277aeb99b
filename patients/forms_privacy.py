"""Forms of the privacy pages: shape only; patients.privacy decides and records."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


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
