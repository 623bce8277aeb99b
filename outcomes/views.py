"""The follow-up pages: the questionnaire behind its signed link, stopping the series, a new
check after "worse", and the signed-in patient's own progress page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import NotAllowed
from outcomes import charts, series, services
from outcomes.forms import FollowUpForm
from patients import selectors
from triage import advice, engine
from triage import views as triage_views


def _follow_up(request, token):
    public_id = series.follow_up_id_from_token(token)
    if public_id is None:
        raise Http404("This link is not valid.")
    return selectors.access_follow_up_by_link(selectors.Access.of(request), public_id=public_id)


@require_http_methods(["GET", "POST"])
def answer(request, token):
    follow_up = _follow_up(request, token)
    intake = follow_up.intake
    if not services.follow_up_open(follow_up):
        return render(request, "outcomes/closed.html", {"follow_up": follow_up}, status=410)
    runner = bool(intake.weekly_distance_km)
    form = FollowUpForm(request.POST if request.method == "POST" else None, runner=runner)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.follow_up_answer(follow_up=follow_up, values=form.cleaned_data)
        except NotAllowed:
            return render(request, "outcomes/closed.html", {"follow_up": follow_up}, status=410)
        except engine.TriageError:
            form.add_error(None, "Some answers need checking.")
        else:
            return _after_answer(request, token, follow_up, outcome)
    context = {"form": form, "follow_up": follow_up, "intake": intake, "token": token}
    return render(request, "outcomes/answer.html", context)


def _after_answer(request, token, follow_up, outcome):
    intake = follow_up.intake
    intake.refresh_from_db()
    if outcome.new_red_flags:
        # The same pages an intake shows for the same decision.
        decision = intake.current_decision
        context = {"intake": intake, "decision": decision, **advice.for_decision(intake, decision)}
        # What to tell the emergency department: the symptoms reported now.
        context["reported_symptoms"] = advice.reported_symptoms(
            services.carried_answers(follow_up), outcome.new_red_flags
        )
        template = "triage/result_emergency.html" if outcome.emergency else "triage/result.html"
        return render(request, template, context)
    context = {"follow_up": follow_up, "outcome": outcome, "token": token}
    return render(request, "outcomes/thanks.html", context)


@require_POST
def stop(request, token):
    follow_up = _follow_up(request, token)
    services.follow_up_stop(follow_up=follow_up)
    return render(request, "outcomes/stopped.html", {"follow_up": follow_up})


@require_POST
def new_check(request, token):
    """Start a new back-pain check linked to this one, with what can carry over filled in."""
    follow_up = _follow_up(request, token)
    if not hasattr(follow_up, "answer"):
        raise Http404("Answer the follow-up first.")
    carried = services.carried_answers(follow_up)
    triage_views.start_linked(request, predecessor=follow_up.intake, answers=carried)
    return triage_views.first_step(request)


@login_required
def progress(request, public_id):
    """The signed-in patient's own story for one intake (another patient's: 404)."""
    intake = selectors.access_intake(selectors.Access.of(request), public_id=public_id)
    if intake.patient_id is None or intake.patient.user_id != request.user.pk:
        raise Http404("No such intake.")
    context = {"intake": intake, **charts.trajectory_context(intake)}
    return render(request, "outcomes/progress.html", context)
