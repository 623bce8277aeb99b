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
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.core.validators import RegexValidator
from django.db import models

from clinic.models import Location
from triage import advice, engine
from triage.models import Surface

MIN_AGE = engine.FIELDS["age"].min  # 16: younger people are out of the protocol's scope

YES_NO = (("yes", "Yes"), ("no", "No"))
AGREE_DISAGREE = (("agree", "Agree"), ("disagree", "Disagree"))


class YesNoField(forms.TypedChoiceField):
    """A required two-way radio choice whose cleaned value is a real ``bool``."""

    widget = forms.RadioSelect

    def __init__(self, *, choices=YES_NO, **kwargs):
        self.true_value, self.false_value = choices[0][0], choices[1][0]
        true_value = self.true_value
        words = " or ".join(label for _, label in choices)
        kwargs.setdefault(
            "error_messages",
            {"required": f"Choose {words}.", "invalid_choice": f"Choose {words}."},
        )
        super().__init__(
            choices=choices, coerce=lambda value: value == true_value, empty_value=None, **kwargs
        )

    def stored(self, value: bool) -> str:
        return self.true_value if value else self.false_value


def _number_error(low: int, high: int) -> dict[str, str]:
    message = f"Enter a whole number from {low} to {high}."
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
    if spec.kind == "int":
        return number_field(label=label, low=spec.min, high=spec.max, help_text=help_text)
    if spec.kind == "bool":
        choices = AGREE_DISAGREE if name.startswith("sbst_") else YES_NO
        return YesNoField(label=label, help_text=help_text, choices=choices)
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=advice.choice_pairs(name),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose one of the answers.",
            "invalid_choice": "Choose one of the answers.",
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
            field = self.fields[name]
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
                shown = "Not given"
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


def _text_errors(what: str) -> dict[str, str]:
    return {
        "required": f"Enter your {what}.",
        "max_length": f"Enter at most %(limit_value)d characters for your {what}.",
    }


class AboutYouForm(IntakeStepForm):
    first_name = forms.CharField(
        label="First name", max_length=100, error_messages=_text_errors("first name")
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, error_messages=_text_errors("last name")
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We email you here about your care, such as check-ins and appointments.",
        error_messages={
            **_text_errors("email address"),
            "invalid": "Enter a valid email address, like name@example.com.",
        },
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        max_length=30,
        required=False,
        help_text="So our team can call you if your answers need a quick follow-up.",
        validators=[
            RegexValidator(
                r"^[0-9+()\-. ]{7,30}$",
                "Enter a phone number using digits, spaces, brackets, dashes or a plus sign.",
            )
        ],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    weekly_distance_km = number_field(
        label="About how many kilometers do you run in a normal week? (optional)",
        help_text="1 mile is about 1.6 km. Leave blank if you are not sure.",
        low=0,
        high=500,
        required=False,
    )
    years_running = number_field(
        label="How many years have you been running? (optional)", low=0, high=100, required=False
    )
    usual_surface = forms.ChoiceField(
        label="Where do you usually run? (optional)",
        choices=[("", "Choose a surface"), *Surface.choices],
        required=False,
        error_messages={"invalid_choice": "Choose one of the surfaces in the list."},
    )
    shoe_age_months = number_field(
        label="How many months old are your running shoes? (optional)",
        low=0,
        high=240,
        required=False,
    )
    recent_race = YesNoField(label="Have you run a race in the last 4 weeks?")
    preferred_location = LocationChoiceField(
        label="Which clinic would suit you best?",
        queryset=Location.objects.order_by("name"),
        empty_label="Choose a clinic",
        error_messages={
            "required": "Choose a clinic.",
            "invalid_choice": "Choose one of the clinics in the list.",
        },
    )

    protocol_fields = ("age",)
    contact_fields = ("first_name", "last_name", "email", "phone")
    runner_fields = (
        "weekly_distance_km",
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
            label=advice.QUESTIONS["age"][0],
            help_text=advice.QUESTIONS["age"][1],
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
            Fieldset("About you", "first_name", "last_name", "email", "phone", "age"),
            Fieldset(
                "Your running",
                HTML(
                    '<p class="text-body-secondary">These help your clinician understand your '
                    "running. They do not change your result.</p>"
                ),
                *self.runner_fields,
            ),
            Fieldset("Your clinic", "preferred_location"),
        )

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
    intro = (
        "These questions look for rare but serious causes of back pain. Most people answer No "
        "to all of them."
    )


class ImpactForm(IntakeStepForm):
    # The STarT Back items, in the protocol's paraphrase (protocol section 2).
    protocol_fields = tuple(f"sbst_{n}" for n in range(1, 10))
    intro = (
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
    title: str
    form_class: type[IntakeStepForm]


STEPS: tuple[Step, ...] = (
    Step(1, "about-you", "About you and your running", AboutYouForm),
    Step(2, "your-pain", "Your pain", PainForm),
    Step(3, "warning-signs", "Warning signs", WarningSignsForm),
    Step(4, "how-it-affects-you", "How it affects you", ImpactForm),
    Step(5, "care-so-far", "Care so far", CareSoFarForm),
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
