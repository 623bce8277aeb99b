"""The intake wizard and its result pages.

The answers live in the session under one key until the person submits, so Back, a reload or a
validation error lose nothing, and nothing is stored in the database before the final submit.
Steps open only in order: asking for a later step redirects to the first one not yet answered.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patients import selectors
from patients import services as patient_services
from triage import advice, engine, forms, services

WIZARD_SESSION_KEY = "triage_intake_answers"
# The earlier intake a new check continues (set only by a follow-up's signed link).
PREDECESSOR_SESSION_KEY = "triage_predecessor"
REMEMBERED_INTAKES = 20


class _Answers:
    """The wizard's answers in the session: ``{step slug: {field: submitted string}}``."""

    def __init__(self, session):
        self.session = session
        stored = session.get(WIZARD_SESSION_KEY)
        self.steps = stored if isinstance(stored, dict) else {}

    def get(self, slug: str) -> dict:
        values = self.steps.get(slug)
        return values if isinstance(values, dict) else {}

    def save(self, slug: str, values: dict) -> None:
        self.steps[slug] = values
        self.session[WIZARD_SESSION_KEY] = self.steps

    def clear(self) -> None:
        self.session.pop(WIZARD_SESSION_KEY, None)
        self.session.pop(PREDECESSOR_SESSION_KEY, None)

    def first_incomplete(self, *, before: int | None = None) -> forms.Step | None:
        for step in forms.STEPS[:before]:
            if not self.get(step.slug):
                return step
        return None

    def bound_forms(self) -> tuple[dict[str, forms.IntakeStepForm], forms.Step | None]:
        """Every step's form bound to its saved answers, re-validated (a clinic may have closed
        since), and the first step whose answers no longer pass, if any."""
        bound = {step.slug: step.form_class(data=self.get(step.slug)) for step in forms.STEPS}
        invalid = next((s for s in forms.STEPS if not bound[s.slug].is_valid()), None)
        return bound, invalid


def _to_step(step: forms.Step):
    return redirect("triage:step", slug=step.slug)


def start_linked(request, *, predecessor, answers: dict) -> None:
    """Begin a new check that continues `predecessor`, every step filled in from `answers`
    (engine names) and the earlier intake's contact and running details; the person reads
    each step, changes what is different and sends it."""
    answers_store = _Answers(request.session)
    answers_store.clear()
    for step_ in forms.STEPS:
        answers_store.save(step_.slug, forms.carried_over(step_, answers, predecessor))
    request.session[PREDECESSOR_SESSION_KEY] = predecessor.pk


def first_step(request):
    return _to_step(forms.STEPS[0])


def start(request):
    answers = _Answers(request.session)
    resume = answers.first_incomplete() if answers.steps else None
    context = {
        "steps": forms.STEPS,
        "first_step": forms.STEPS[0],
        "in_progress": bool(answers.steps),
        "resume": resume,
    }
    return render(request, "triage/start.html", context)


@require_POST
def restart(request):
    _Answers(request.session).clear()
    return _to_step(forms.STEPS[0])


@require_http_methods(["GET", "POST"])
def step(request, slug):
    current = forms.step_for(slug)
    if current is None:
        raise Http404("No such step.")
    answers = _Answers(request.session)
    missing = answers.first_incomplete(before=forms.STEPS.index(current))
    if missing is not None:
        return _to_step(missing)
    data = request.POST if request.method == "POST" else None
    form = current.form_class(data=data, initial=answers.get(slug))
    previous, following = forms.neighbours(current)
    if data is not None:
        valid = form.is_valid()
        if form.out_of_scope():
            answers.clear()  # nothing about a child is kept
            return redirect("triage:under_16")
        if valid:
            answers.save(slug, form.stored_values())
            return _to_step(following) if following else redirect("triage:review")
    context = {"form": form, "step": current, "previous": previous, "total": len(forms.STEPS)}
    return render(request, "triage/step.html", context)


@require_http_methods(["GET", "POST"])
def review(request):
    answers = _Answers(request.session)
    missing = answers.first_incomplete()
    if missing is not None:
        return _to_step(missing)
    bound, invalid = answers.bound_forms()
    if invalid is not None:
        messages.error(request, _("Some answers need checking. Please look at this step again."))
        return _to_step(invalid)
    if request.method == "POST":
        try:
            patient = _patient(request)
            intake = services.intake_submit(
                **forms.submission(bound),
                patient=patient,
                language=_language(request),
                predecessor=_predecessor(request),
            )
            if patient is not None:
                patient_services.set_preferred_language(patient, intake.language)
        except engine.TriageError as error:
            return _back_to_the_step(request, error)
        answers.clear()
        if intake.patient_id is None:
            _remember_intake(request, intake)
        return redirect("triage:result", public_id=intake.public_id)
    steps = [(s, bound[s.slug].summary()) for s in forms.STEPS]
    context = {"steps": steps, "total": len(forms.STEPS), "last_slug": forms.STEPS[-1].slug}
    return render(request, "triage/review.html", context)


def result(request, public_id):
    intake = selectors.access_intake(selectors.Access.of(request), public_id=public_id)
    decision = intake.current_decision
    if decision is None:
        raise Http404("No decision for this intake.")
    context = {"intake": intake, "decision": decision, **advice.for_decision(intake, decision)}
    if decision.urgency == "emergency":
        return render(request, "triage/result_emergency.html", context)
    return render(request, "triage/result.html", context)


def self_care_advice(request):
    return render(request, "triage/self_care_advice.html")


def under_16(request):
    return render(request, "triage/under_16.html")


def _language(request) -> str:
    language = getattr(request, "LANGUAGE_CODE", "en").split("-")[0]
    return language if language in dict(settings.LANGUAGES) else "en"


def _predecessor(request):
    pk = request.session.get(PREDECESSOR_SESSION_KEY)
    return services.Intake.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def _patient(request):
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return patient_services.patient_for_user(user)
    return None


def _remember_intake(request, intake) -> None:
    # The submitting browser may see its anonymous intake, and signing in attaches it
    # (patients.adapters.PatientAccountAdapter.login).
    remembered = request.session.get(selectors.SESSION_INTAKES_KEY)
    remembered = [str(i) for i in remembered] if isinstance(remembered, list) else []
    # Bounded, so one browser submitting again and again cannot grow its session without end.
    remembered = [*remembered, str(intake.public_id)][-REMEMBERED_INTAKES:]
    request.session[selectors.SESSION_INTAKES_KEY] = remembered


def _back_to_the_step(request, error: engine.TriageError):
    # The forms check what the engine checks, so this is a safety net, not a normal path.
    for name, problem in error.errors.items():
        messages.error(request, f"{_(advice.question_for(name))}: {problem}.")
    return _to_step(forms.step_of_field(next(iter(error.errors), "")))
