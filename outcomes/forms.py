"""The follow-up questionnaire: short, one page, the protocol's own questions where it has them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes.models import Impression
from outcomes.services import RED_FLAG_FIELDS, SBST_FIELDS
from triage.forms import YesNoField, protocol_field

RUNNING_SHARES = (
    (0, _("None of it")),
    (25, _("About a quarter")),
    (50, _("About half")),
    (75, _("About three quarters")),
    (100, _("All of it, or more")),
)
PAIN_CHOICES = tuple((n, str(n)) for n in range(11))
IMPRESSION_LABELS = {
    Impression.VERY_MUCH_BETTER: _("Very much better"),
    Impression.MUCH_BETTER: _("Much better"),
    Impression.A_LITTLE_BETTER: _("A little better"),
    Impression.NO_CHANGE: _("No change"),
    Impression.A_LITTLE_WORSE: _("A little worse"),
    Impression.MUCH_WORSE: _("Much worse"),
    Impression.VERY_MUCH_WORSE: _("Very much worse"),
}
PICK_ONE = {
    "required": _("Choose one of the answers."),
    "invalid_choice": _("Choose one of the answers."),
}


class FollowUpForm(forms.Form):
    pain_score = forms.TypedChoiceField(
        label=_("Your worst back pain in the last week, from 0 (no pain) to 10 (the worst)"),
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages=PICK_ONE,
    )
    impression = forms.ChoiceField(
        label=_("Since you first told us about your pain, how is your back now?"),
        choices=list(IMPRESSION_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages=PICK_ONE,
    )

    def __init__(self, *args, runner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The protocol's own wording, range and choices: the same questions as the intake.
        for name in (*SBST_FIELDS, *RED_FLAG_FIELDS):
            self.fields[name] = protocol_field(name)
        self.runner = runner
        if runner:
            self.fields["runs_again"] = YesNoField(label=_("Are you running again?"))
            self.fields["running_share"] = forms.TypedChoiceField(
                label=_("How much of your usual weekly distance do you run now?"),
                choices=RUNNING_SHARES,
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                error_messages=PICK_ONE,
            )

    def clean(self):
        data = super().clean()
        if self.runner:
            if data.get("runs_again") is False:
                data["running_share"] = 0
            elif data.get("runs_again") and data.get("running_share") in (None, ""):
                self.add_error("running_share", _("Choose how much you run now."))
        return data

    @property
    def groups(self):
        """The page's sections, each a fieldset with a legend."""
        names = {
            "pain": ("pain_score", "impression"),
            "impact": SBST_FIELDS,
            "warning": RED_FLAG_FIELDS,
            "running": ("runs_again", "running_share") if self.runner else (),
        }
        return {key: [self[name] for name in fields] for key, fields in names.items()}
