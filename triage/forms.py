"""The patient intake form, in five steps, built from the protocol's own field table.

Every protocol answer (``engine.FIELDS``, protocol section 2) is asked in exactly one step, with
the range and choices the engine itself checks, so an answer the form accepts is one the engine
accepts. The forms validate shape only; the wizard views keep the answers in the session and the
service (``triage.services.intake_submit``) decides.

Yes/No answers are explicit radio choices that must be answered: an unticked checkbox would turn
"not answered" into "No", and a "No" to a warning sign is a clinical statement.
"""

from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout
from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from clinic.models import Location
from triage import advice, engine
from triage.models import Surface

MIN_AGE = engine.FIELDS["age"].min  # 16: younger people are out of the protocol's scope

YES_NO = (("yes", _("Yes")), ("no", _("No")))
AGREE_DISAGREE = (("agree", _("Agree")), ("disagree", _("Disagree")))


def _translated(pattern: str, **parts) -> str:
    """``pattern % parts`` in the language of the page that shows it (fields are declared once,
    at import, and shown in English or Spanish)."""
    return lazy(lambda: gettext(pattern) % {k: str(v) for k, v in parts.items()}, str)()


class YesNoField(forms.TypedChoiceField):
    """A required two-way radio choice whose cleaned value is a real ``bool``."""

    widget = forms.RadioSelect

    def __init__(self, *, choices=YES_NO, **kwargs):
        self.true_value, self.false_value = choices[0][0], choices[1][0]
        true_value = self.true_value
        message = _translated(
            gettext_noop("Choose %(first)s or %(second)s."),
            first=choices[0][1],
            second=choices[1][1],
        )
        kwargs.setdefault("error_messages", {"required": message, "invalid_choice": message})
        super().__init__(
            choices=choices, coerce=lambda value: value == true_value, empty_value=None, **kwargs
        )

    def stored(self, value: bool) -> str:
        return self.true_value if value else self.false_value


def _number_error(low: int, high: int) -> dict[str, str]:
    message = _translated(
        gettext_noop("Enter a whole number from %(low)s to %(high)s."), low=low, high=high
    )
    return {"invalid": message, "min_value": message, "max_value": message, "required": message}


def number_field(*, label: str, low: int, high: int, required: bool = True, help_text=""):
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        required=required,
        error_messages=_number_error(low, high),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def protocol_field(name: str) -> forms.Field:
    """The form field for one protocol answer, with the engine's own range or choices."""
    spec = engine.FIELDS[name]
    label, help_text = advice.QUESTIONS.get(name, (spec.label, ""))
    # The advice is marked for the catalog, and translated here, as the form is built.
    label, help_text = gettext(label), gettext(help_text) if help_text else ""
    if spec.kind == "int":
        return number_field(label=label, low=spec.min, high=spec.max, help_text=help_text)
    if spec.kind == "bool":
        choices = AGREE_DISAGREE if name.startswith("sbst_") else YES_NO
        return YesNoField(label=label, help_text=help_text, choices=choices)
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=[(value, gettext(words)) for value, words in advice.choice_pairs(name)],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one of the answers."),
            "invalid_choice": _("Choose one of the answers."),
        },
    )


class IntakeStepForm(forms.Form):
    """One step. Subclasses list their protocol answers; the rest are declared fields.

    ``stored_values()`` turns a valid step into strings for the session, and the same strings
    are the step's ``initial`` when the person comes back to it.
    """

    protocol_fields: tuple[str, ...] = ()
    contact_fields: tuple[str, ...] = ()
    runner_fields: tuple[str, ...] = ()
    intro: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.protocol_fields:
            self.fields[name] = protocol_field(name)
        self.helper = FormHelper(self)
        # The template owns <form>, the CSRF token and the Back/Continue buttons.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self.build_layout()

    def build_layout(self) -> Layout:
        return Layout(*self.fields)

    def out_of_scope(self) -> bool:
        """True when the answers so far put the person outside the service (under 16)."""
        return False

    def stored_values(self) -> dict[str, str]:
        stored = {}
        for name, value in self.cleaned_data.items():
            field = self.fields.get(name)
            if field is None:
                continue  # derived by `clean` (the km figure): the typed answer is what's kept
            if isinstance(field, YesNoField):
                stored[name] = field.stored(value)
            elif isinstance(value, models.Model):
                stored[name] = str(value.pk)
            else:
                stored[name] = "" if value is None else str(value)
        return stored

    def summary(self) -> list[tuple[str, str]]:
        """(question, answer in words) for the review page; needs a valid form."""
        rows = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value is None or value == "":
                shown = gettext("Not given")
            elif isinstance(field, YesNoField):
                shown = dict(field.choices)[field.stored(value)]
            elif isinstance(field, forms.ModelChoiceField):
                shown = str(value)
            elif isinstance(field, forms.ChoiceField):
                shown = str(dict(field.choices).get(value, value))
            else:
                shown = str(value)
            rows.append((str(field.label), shown))
        return rows


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.address})" if obj.address else obj.name


def _text_errors(required: str, max_length: str) -> dict[str, str]:
    return {"required": required, "max_length": max_length}


MILES, KM = "mi", "km"
DISTANCE_UNITS = ((MILES, _("miles")), (KM, _("km")))
KM_PER_MILE = 1.609344
MAX_WEEKLY_KM = 500  # the intake's own bound (and the API's), whichever unit was typed


class AboutYouForm(IntakeStepForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        error_messages=_text_errors(
            _("Enter your first name."),
            _("Enter at most %(limit_value)d characters for your first name."),
        ),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        error_messages=_text_errors(
            _("Enter your last name."),
            _("Enter at most %(limit_value)d characters for your last name."),
        ),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We email you here about your care, such as check-ins and appointments."),
        error_messages={
            **_text_errors(
                _("Enter your email address."),
                _("Enter at most %(limit_value)d characters for your email address."),
            ),
            "invalid": _("Enter a valid email address, like name@example.com."),
        },
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        max_length=30,
        required=False,
        help_text=_("So our team can call you if your answers need a quick follow-up."),
        validators=[
            RegexValidator(
                r"^[0-9+()\-. ]{7,30}$",
                _("Enter a phone number using digits, spaces, brackets, dashes or a plus sign."),
            )
        ],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # Asked in miles (Minnesota runners count miles), km for whoever prefers; stored in km,
    # the unit the intake keeps and the shoe advice reads (`clean` converts).
    weekly_distance = number_field(
        label=_("About how far do you run in a normal week? (optional)"),
        help_text=_("Leave blank if you are not sure."),
        low=0,
        high=500,
        required=False,
    )
    weekly_distance_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=DISTANCE_UNITS,
        initial=MILES,
        required=False,
        error_messages={"invalid_choice": _("Choose miles or km.")},
    )
    years_running = number_field(
        label=_("How many years have you been running? (optional)"), low=0, high=100, required=False
    )
    usual_surface = forms.ChoiceField(
        label=_("Where do you usually run? (optional)"),
        choices=[("", _("Choose a surface")), *Surface.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose one of the surfaces in the list.")},
    )
    shoe_age_months = number_field(
        label=_("How many months old are your running shoes? (optional)"),
        low=0,
        high=240,
        required=False,
    )
    recent_race = YesNoField(label=_("Have you run a race in the last 4 weeks?"))
    preferred_location = LocationChoiceField(
        label=_("Which clinic would suit you best?"),
        queryset=Location.objects.order_by("name"),
        empty_label=_("Choose a clinic"),
        error_messages={
            "required": _("Choose a clinic."),
            "invalid_choice": _("Choose one of the clinics in the list."),
        },
    )

    protocol_fields = ("age",)
    contact_fields = ("first_name", "last_name", "email", "phone")
    runner_fields = (
        "weekly_distance_km",  # made by `clean` from the distance and its unit
        "years_running",
        "usual_surface",
        "shoe_age_months",
        "recent_race",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Under 16 is refused with its own page, not a field error (see ``out_of_scope``), so
        # the field accepts any real age; above the protocol's maximum is a typing mistake.
        self.fields["age"] = number_field(
            label=gettext(advice.QUESTIONS["age"][0]),
            help_text=gettext(advice.QUESTIONS["age"][1]),
            low=0,
            high=engine.FIELDS["age"].max,
        )
        for name, autocomplete in (
            ("first_name", "given-name"),
            ("last_name", "family-name"),
            ("email", "email"),
        ):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.order_fields(["first_name", "last_name", "email", "phone", "age"])

    def build_layout(self) -> Layout:
        return Layout(
            Fieldset(gettext("About you"), "first_name", "last_name", "email", "phone", "age"),
            Fieldset(
                gettext("Your running"),
                HTML(
                    format_html(
                        '<p class="text-body-secondary">{}</p>',
                        gettext(
                            "These help your clinician understand your running. They do not "
                            "change your result."
                        ),
                    )
                ),
                Div(
                    Div("weekly_distance", css_class="col"),
                    Div("weekly_distance_unit", css_class="col-auto"),
                    css_class="row",
                ),
                *self.runner_fields[1:],
            ),
            Fieldset(gettext("Your clinic"), "preferred_location"),
        )

    def clean(self):
        cleaned = super().clean()
        distance = cleaned.get("weekly_distance")
        unit = cleaned.get("weekly_distance_unit") or MILES
        cleaned["weekly_distance_unit"] = unit
        km = None
        if distance is not None:
            km = round(distance * KM_PER_MILE) if unit == MILES else distance
            if km > MAX_WEEKLY_KM:
                self.add_error(
                    "weekly_distance",
                    _("Enter at most %(miles)d miles (%(km)d km) a week.")
                    % {"miles": MAX_WEEKLY_KM / KM_PER_MILE, "km": MAX_WEEKLY_KM},
                )
        cleaned["weekly_distance_km"] = km
        return cleaned

    def summary(self) -> list[tuple[str, str]]:
        # The distance with its unit ("20 miles"), in one row.
        distance = self.cleaned_data.get("weekly_distance")
        unit = dict(DISTANCE_UNITS)[self.cleaned_data.get("weekly_distance_unit") or MILES]
        unit_label = str(self.fields["weekly_distance_unit"].label)
        distance_label = str(self.fields["weekly_distance"].label)
        rows = []
        for question, answer in super().summary():
            if question == unit_label:
                continue
            if question == distance_label and distance is not None:
                answer = f"{distance} {unit}"
            rows.append((question, answer))
        return rows

    def out_of_scope(self) -> bool:
        # Checked on its own: a 12-year-old is told kindly at once, not asked to fix the email.
        age = self.cleaned_data.get("age") if hasattr(self, "cleaned_data") else None
        return age is not None and age < MIN_AGE


class PainForm(IntakeStepForm):
    protocol_fields = (
        "pain_duration_weeks",
        "pain_score",
        "first_episode",
        "leg_pain_below_knee",
        "both_legs",
        "leg_numbness",
        "leg_weakness",
        "trauma",
        "load_increase",
        "hop_pain",
    )


class WarningSignsForm(IntakeStepForm):
    protocol_fields = (
        "saddle_numbness",
        "bladder_bowel_change",
        "fever",
        "cancer_history",
        "weight_loss",
        "immunosuppressed",
        "iv_drug_use",
        "night_pain",
        "osteoporosis",
        "steroids",
    )
    intro = _(
        "These questions look for rare but serious causes of back pain. Most people answer No "
        "to all of them."
    )


class ImpactForm(IntakeStepForm):
    # The STarT Back items, in the protocol's paraphrase (protocol section 2).
    protocol_fields = tuple(f"sbst_{n}" for n in range(1, 10))
    intro = _(
        "Think about the last 2 weeks. For each of the first 8 statements, choose Agree or "
        "Disagree. For the last question, choose the answer that fits best. There are no right "
        "or wrong answers."
    )


class CareSoFarForm(IntakeStepForm):
    protocol_fields = ("conservative_care_weeks", "open_to_procedure")


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: object  # a lazily translated text
    form_class: type[IntakeStepForm]


STEPS: tuple[Step, ...] = (
    Step(1, "about-you", _("About you and your running"), AboutYouForm),
    Step(2, "your-pain", _("Your pain"), PainForm),
    Step(3, "warning-signs", _("Warning signs"), WarningSignsForm),
    Step(4, "how-it-affects-you", _("How it affects you"), ImpactForm),
    Step(5, "care-so-far", _("Care so far"), CareSoFarForm),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)


def step_for(slug: str) -> Step | None:
    return next((step for step in STEPS if step.slug == slug), None)


def neighbours(step: Step) -> tuple[Step | None, Step | None]:
    """The steps before and after ``step`` (None at either end)."""
    before = STEPS[step.number - 2] if step.number > 1 else None
    after = STEPS[step.number] if step.number < len(STEPS) else None
    return before, after


def step_of_field(name: str) -> Step:
    """The step that asks a field; the first step for a name no step asks."""
    for step in STEPS:
        form_class = step.form_class
        if name in (*form_class.protocol_fields, *form_class.declared_fields):
            return step
    return STEPS[0]


def submission(valid_forms: dict[str, IntakeStepForm]) -> dict:
    """The keyword arguments of ``intake_submit`` (all but ``patient``) from valid step forms."""
    answers, contact, runner_context = {}, {}, {}
    location = None
    for form in valid_forms.values():
        data = form.cleaned_data
        answers.update({name: data[name] for name in form.protocol_fields})
        contact.update({name: data[name] for name in form.contact_fields})
        runner_context.update({name: data[name] for name in form.runner_fields})
        location = data.get("preferred_location", location)
    return {
        "answers": answers,
        "contact": contact,
        "runner_context": runner_context,
        "preferred_location": location,
    }


def carried_over(step: Step, answers: dict, intake) -> dict[str, str]:
    """A step's stored strings for a new check that continues `intake`: protocol answers from
    `answers` (engine names), contact and running details from the intake itself."""
    form = step.form_class()
    stored = {}
    for name, field in form.fields.items():
        if name in form.protocol_fields:
            value = answers.get(name)
        elif name == "preferred_location":
            value = intake.preferred_location_id
        else:
            value = getattr(intake, name, None)
        if value is None:
            stored[name] = ""
        elif isinstance(field, YesNoField):
            stored[name] = field.stored(bool(value))
        else:
            stored[name] = str(value)
    return stored
