"""Patient portal pages. Each view: authenticate, access_*, bind a form, call one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from clinic import calendar, links, scheduling
from clinic.errors import NotAllowed
from clinic.models import InvalidTransition, Location, Practitioner
from patients import booking, selectors, services
from patients.forms import (
    CancelForm,
    ChangeRequestForm,
    ProfileForm,
    SlotChoiceForm,
    SlotSearchForm,
    WaitlistForm,
)


@require_POST
def set_language(request):
    """Django's language switch (cookie, back to the same page), and for a signed-in patient
    the choice kept for the messages we send them."""
    response = i18n.set_language(request)
    if request.user.is_authenticated and not request.user.is_staff:
        language = request.POST.get("language")
        if language in dict(settings.LANGUAGES):
            services.set_preferred_language(services.patient_for_user(request.user), language)
    return response


def home(request):
    return render(request, "patients/home.html")


@login_required
def dashboard(request):
    patient = services.patient_for_user(request.user)
    context = {"patient": patient, **selectors.dashboard_data(patient=patient)}
    context["checks"] = booking.account_checks(patient=patient, intakes=context["intakes"])
    return render(request, "patients/dashboard.html", context)


@login_required
def book(request, intake_id):
    intake = selectors.access_intake(selectors.Access.of(request), public_id=intake_id)
    service = scheduling.online_service_for(intake)
    if service is None:
        messages.info(request, _("This care plan is booked by our team, not online."))
        return redirect("triage:result", public_id=intake.public_id)
    initial = {"location": intake.preferred_location.slug}
    form = SlotSearchForm(request.GET or initial)
    page = None
    if form.is_valid():
        page = booking.slot_page(
            intake=intake,
            service=service,
            location=form.cleaned_data["location"],
            first_day=form.cleaned_data["date"],
        )
    context = {"intake": intake, "service": service, "form": form, "page": page}
    context["waitlist_form"] = WaitlistForm(initial={"locations": [intake.preferred_location]})
    return render(request, "patients/book.html", context)


@login_required
def book_confirm(request, intake_id):
    intake = selectors.access_intake(selectors.Access.of(request), public_id=intake_id)
    service = scheduling.online_service_for(intake)
    form = SlotChoiceForm(request.POST or request.GET)
    if service is None or not form.is_valid():
        messages.error(request, _("Please choose a time from the list."))
        return redirect("patients:book", intake_id=intake.public_id)
    practitioner_id, location_id, start = form.cleaned_data["slot"]
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id, is_active=True)
    location = get_object_or_404(Location, pk=location_id)
    context = {"intake": intake, "service": service, "practitioner": practitioner}
    context.update(location=location, start=start, slot=form.data["slot"])
    if request.method == "POST":
        try:
            appointment = scheduling.appointment_book(
                patient=services.patient_for_user(request.user),
                service=service,
                location=location,
                practitioner=practitioner,
                start=start,
                intake=intake,
                booked_by=request.user,
                online=True,
            )
        except scheduling.SlotTaken as taken:
            context["alternatives"] = taken.alternatives
            return render(request, "patients/book_confirm.html", context, status=409)
        except NotAllowed as refusal:
            messages.error(request, str(refusal))
            return redirect("patients:book", intake_id=intake.public_id)
        messages.success(request, _("Your appointment is booked. We have sent a confirmation."))
        return redirect("patients:appointment", public_id=appointment.public_id)
    return render(request, "patients/book_confirm.html", context)


@login_required
@require_POST
def waitlist_join(request, intake_id):
    intake = selectors.access_intake(selectors.Access.of(request), public_id=intake_id)
    service = scheduling.online_service_for(intake)
    form = WaitlistForm(request.POST)
    if service is None or not form.is_valid():
        messages.error(request, _("Choose at least one clinic to join the waiting list."))
        return redirect("patients:book", intake_id=intake.public_id)
    try:
        scheduling.waitlist_join(
            patient=services.patient_for_user(request.user),
            intake=intake,
            service=service,
            locations=form.cleaned_data["locations"],
        )
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("You are on the waiting list. We will tell you when a time opens.")
        )
    return redirect("patients:dashboard")


@login_required
def appointment_detail(request, public_id):
    appointment = selectors.access_appointment(selectors.Access.of(request), public_id=public_id)
    return render(request, "patients/appointment.html", _appointment_context(appointment))


@login_required
def appointment_ics(request, public_id):
    appointment = selectors.access_appointment(selectors.Access.of(request), public_id=public_id)
    response = HttpResponse(
        calendar.ics_for(appointment), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="backstride-{appointment.public_id}.ics"'
    )
    return response


@login_required
@require_POST
def appointment_cancel(request, public_id):
    appointment = selectors.access_appointment(selectors.Access.of(request), public_id=public_id)
    return _cancel(request, appointment, CancelForm(request.POST), actor=request.user)


@login_required
def appointment_reschedule(request, public_id):
    appointment = selectors.access_appointment(selectors.Access.of(request), public_id=public_id)
    return _reschedule(request, appointment, actor=request.user)


def appointment_manage_link(request, token):
    """From an email or text: manage one appointment without signing in, until the link expires."""
    read = links.read_token(token)
    if read is None:
        raise Http404(_("This link has expired or is not valid."))
    public_id, version = read
    appointment = selectors.access_appointment_by_link(
        selectors.Access.of(request, via="signed manage link"),
        public_id=public_id,
        version=version,
    )
    as_patient = appointment.patient.user  # the signed link stands in for signing in
    if request.method == "POST" and request.POST.get("action") == "change_request":
        return _ask_for_change(request, appointment, actor=as_patient, token=token)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        return _cancel(
            request, appointment, CancelForm(request.POST), actor=as_patient, token=token
        )
    if request.GET.get("action") == "reschedule" or request.POST.get("action") == "reschedule":
        return _reschedule(request, appointment, actor=as_patient, token=token)
    return render(request, "patients/appointment.html", _appointment_context(appointment, token))


@login_required
@require_POST
def appointment_change_request(request, public_id):
    appointment = selectors.access_appointment(selectors.Access.of(request), public_id=public_id)
    return _ask_for_change(request, appointment, actor=request.user)


@login_required
def profile(request):
    patient = services.patient_for_user(request.user)
    # Bound on every POST, even an empty one, so missing fields are named rather than ignored.
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=patient)
    if form.is_bound and form.is_valid():
        services.patient_update_profile(patient=patient, data=form.cleaned_data, by=request.user)
        messages.success(request, _("Your details are saved."))
        return redirect("patients:dashboard")
    return render(request, "patients/profile.html", {"form": form})


def _can_change(appointment) -> bool:
    return booking.patient_may_change(appointment)


def _appointment_context(appointment, token=None, change_form=None) -> dict:
    staff_scheduled = appointment.is_active and scheduling.staff_scheduled(appointment)
    pending = scheduling.open_change_request(appointment) if staff_scheduled else None
    return {
        "appointment": appointment,
        "cancel_form": CancelForm(),
        "token": token,
        "can_change": _can_change(appointment),
        # Scans and consults: the patient asks us instead (protocol section 7).
        "can_ask_for_change": staff_scheduled and pending is None,
        "change_request": pending,
        "change_form": change_form or ChangeRequestForm(),
        "what_happens_next": scheduling.what_happens_next(appointment),
    }


def _ask_for_change(request, appointment, *, actor, token=None):
    form = ChangeRequestForm(request.POST)
    if not form.is_valid():
        context = _appointment_context(appointment, token, change_form=form)
        return render(request, "patients/appointment.html", context, status=400)
    try:
        scheduling.change_request_create(
            appointment=appointment,
            actor=actor,
            via="signed link" if token else "patient portal",
            **form.cleaned_data,
        )
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("We have your request. ") + scheduling.what_happens_next(appointment),
        )
    if token:
        return redirect("patients:appointment_manage_link", token=token)
    return redirect("patients:appointment", public_id=appointment.public_id)


def _after_change(appointment, token):
    if token:
        # Any change retires the links made before it: hand out one for the appointment as it
        # is now, or, once it can no longer be managed (cancelled), none.
        appointment.refresh_from_db()
        if not appointment.is_active:
            return redirect("patients:home")
        return redirect("patients:appointment_manage_link", token=links.manage_token(appointment))
    return redirect("patients:appointment", public_id=appointment.public_id)


def _cancel(request, appointment, form, *, actor, token=None):
    if not form.is_valid():
        messages.error(request, _("The reason is too long (300 characters at most)."))
        return _after_change(appointment, token)
    try:
        scheduling.appointment_cancel(
            appointment=appointment,
            actor=actor,
            reason=form.cleaned_data["reason"],
            by_patient=True,
        )
    except (NotAllowed, InvalidTransition) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your appointment is cancelled. We have sent you a note."))
    return _after_change(appointment, token)


def _reschedule(request, appointment, *, actor, token=None):
    search = SlotSearchForm(request.GET or {"location": appointment.location.slug})
    choice = SlotChoiceForm(request.POST or None)
    context = {"appointment": appointment, "form": search, "token": token}
    if request.method == "POST" and choice.is_valid():
        practitioner_id, _location_id, start = choice.cleaned_data["slot"]
        try:
            scheduling.appointment_reschedule(
                appointment=appointment,
                actor=actor,
                start=start,
                practitioner=get_object_or_404(Practitioner, pk=practitioner_id),
                by_patient=True,
            )
        except scheduling.SlotTaken as taken:
            context["alternatives"] = taken.alternatives
            messages.error(
                request, _("Sorry, that time was just taken. Here are the nearest free times.")
            )
        except (NotAllowed, InvalidTransition) as refusal:
            messages.error(request, str(refusal))
            return _after_change(appointment, token)
        else:
            messages.success(request, _("Your appointment has moved. We have sent the new time."))
            return _after_change(appointment, token)
    if search.is_valid():
        context["page"] = booking.slot_page(
            intake=appointment.intake,
            service=appointment.service,
            location=search.cleaned_data["location"],
            first_day=search.cleaned_data["date"],
        )
    context["action_url"] = (
        reverse("patients:appointment_manage_link", args=[token])
        if token
        else reverse("patients:appointment_reschedule", args=[appointment.public_id])
    )
    return render(request, "patients/reschedule.html", context)
