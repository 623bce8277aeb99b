"""Scheduling from the triage queue (protocol section 7: staff schedule imaging and surgical
consults, and may book physiotherapy on a patient's behalf), and the practitioners' date
overrides (one-off days elsewhere, extra hours, closed days).

The page lists what `clinic.scheduling.offers_for_intake` offers the intake at one of the staff
member's locations (the same times and window as the patient's booking page and the API), marks
those after the section 6 target, and books the chosen one with
`appointment_book(online=False)`, which re-checks the time under a lock, marks the intake
scheduled and plans the confirmation. A time taken meanwhile shows the nearest alternatives.
An intake whose patient has no account is booked all the same: `patients.services` makes the
patient record from the intake's contact details, and the confirmation's signed link stands in
for an account until they sign up with that email.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from clinic import scheduling
from clinic.models import AppointmentStatus, DateOverride, Service
from patients import services as patient_services
from patients.selectors import visits_without_their_practitioner
from staff.forms import ScheduleBookForm, ScheduleSearchForm
from staff.organisation import ClashListAdmin
from staff.scope import (
    LocationScopedAdmin,
    practitioner_wholly_in_scope,
    practitioners_in_scope,
    staff_locations,
)
from triage.models import Intake, Pathway

TEMPLATE = "admin/triage/intake/schedule.html"
SCHEDULABLE_STATUSES = (Intake.Status.NEW, Intake.Status.CONTACTED)


def services_for(decision):
    if decision is None:
        return Service.objects.none()
    return Service.objects.filter(pathway=decision.pathway).order_by("name")


def can_be_scheduled(intake: Intake) -> bool:
    """Cheap check for the queue's link (no queries): the page itself says why not, if not."""
    decision = intake.current_decision
    return (
        intake.status in SCHEDULABLE_STATUSES
        and decision is not None
        and decision.pathway != Pathway.SELF_CARE
        and not decision.emergency_advice
    )


def blocker(intake: Intake, services) -> str | None:
    """Why this intake cannot be scheduled now, in words for staff; None when it can."""
    decision = intake.current_decision
    if decision is None:
        return "This intake has no triage decision."
    if intake.status == Intake.Status.CLOSED:
        return "This intake is closed."
    if decision.pathway == Pathway.SELF_CARE:
        return "The plan is self-care: no appointment is needed (protocol section 7)."
    booked = intake.appointments.filter(status=AppointmentStatus.BOOKED).first()
    if booked is not None:
        return f"Already booked: {booked}. Reschedule or cancel that appointment instead."
    service = services.first()
    if service is None:
        return f"No service is set up for the {decision.get_pathway_display()} pathway."
    try:
        scheduling.check_booking_allowed(
            patient=intake.patient, intake=intake, service=service, online=False
        )
    except scheduling.NotAllowed as refused:
        return str(refused)
    return None


def schedule_page(model_admin, request, intake: Intake):
    decision = intake.current_decision
    services = services_for(decision)
    locations = staff_locations(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Schedule an appointment for {intake.first_name} {intake.last_name}",
        "intake": intake,
        "decision": decision,
        "window_end": scheduling.window_end_for(intake),
        "blocker": blocker(intake, services),
        "without_account": intake.patient is None or not intake.patient.has_account,
    }
    if context["blocker"]:
        return TemplateResponse(
            request, TEMPLATE, context, status=409 if request.method == "POST" else 200
        )

    status, alternatives = 200, []
    if request.method == "POST":
        form = ScheduleBookForm(request.POST, services=services, locations=locations)
        if form.is_valid():
            practitioner, start = form.cleaned_data["slot"]
            try:
                appointment = patient_services.schedule_for_intake(
                    intake=intake,
                    service=form.cleaned_data["service"],
                    location=form.cleaned_data["location"],
                    practitioner=practitioner,
                    start=start,
                    booked_by=request.user,
                    sms_consent=form.cleaned_data["sms_consent"],
                )
            except scheduling.SlotTaken as taken:
                messages.error(request, f"{taken} The nearest free times are listed first.")
                status, alternatives = 409, taken.alternatives
            except scheduling.NotAllowed as refused:
                messages.error(request, str(refused))
                status = 400
            else:
                messages.success(request, f"Booked: {appointment}. The patient is notified.")
                change_url = reverse("admin:triage_intake_change", args=[intake.pk])
                return HttpResponseRedirect(change_url)
        else:
            errors = "; ".join(e for errs in form.errors.values() for e in errs)
            messages.error(request, f"Nothing was booked: {errors}")
            status = 400

    search = ScheduleSearchForm(
        request.GET if "service" in request.GET else _default_search(intake, services, locations),
        services=services,
        locations=locations,
    )
    context["search"] = search
    if search.is_valid():
        offers = scheduling.offers_for_intake(
            intake=intake,
            service=search.cleaned_data["service"],
            location=search.cleaned_data["location"],
            first_day=search.cleaned_data["date_from"],
            days=search.cleaned_data["days"],
        )
        context.update(
            service=search.cleaned_data["service"],
            location=search.cleaned_data["location"],
            offers=offers,
            alternatives=[
                _row(scheduling.offered_slot(slot, window_end=offers.window_end))
                for slot in alternatives
            ],
            days=[
                (day, [_row(offer) for offer in day_offers])
                for day, day_offers in offers.days.items()
            ],
        )
    elif status == 200:
        status = 400
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _default_search(intake, services, locations) -> dict:
    location = (
        intake.preferred_location
        if locations.filter(pk=intake.preferred_location_id).exists()
        else locations.first()
    )
    service = services.first()
    zone = location.zone if location else None
    return {
        "service": service.slug if service else "",
        "location": location.slug if location else "",
        "date_from": timezone.localdate(timezone=zone).isoformat(),
        "days": 7,
    }


def _row(offer) -> dict:
    slot = offer.slot
    return {
        "key": offer.key,
        "slot": slot,
        # Formatted here: the template's time filter would use the server's zone instead.
        "time": f"{slot.local_start:%H:%M}\N{EN DASH}{slot.local_end:%H:%M}",
        "within_target": offer.within_window,
    }


# --- Date overrides ------------------------------------------------------------------------------
class DateOverrideForm(forms.ModelForm):
    class Meta:
        model = DateOverride
        fields = ("practitioner", "date", "kind", "location", "start_time", "end_time", "note")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        practitioner, kind = cleaned.get("practitioner"), cleaned.get("kind")
        # A closed day or a day elsewhere takes the practitioner off their week at every site,
        # as time off does: only someone whose scope covers all of them may record it.
        if (
            practitioner is not None
            and kind != DateOverride.Kind.EXTRA
            and not practitioner_wholly_in_scope(self.request, practitioner)
        ):
            raise ValidationError(
                f"{practitioner} also works at clinics outside yours, and this changes their day "
                "there too. Record extra hours instead, or ask a manager of all their clinics."
            )
        return cleaned


@admin.register(DateOverride)
class DateOverrideAdmin(ClashListAdmin, LocationScopedAdmin, admin.ModelAdmin):
    """One-off days: hours at another site, extra hours, or a closed day (see
    clinic.scheduling.availability for how they change the week). Saving one that leaves booked
    visits without their practitioner lands on the list of those visits."""

    clash_url_name = "clinic_dateoverride_clashes"

    form = DateOverrideForm
    scope_location_field = "practitioner__locations"
    scope_distinct = True
    list_display = ("date", "practitioner", "kind", "location", "start_time", "end_time", "note")
    list_filter = ("kind",)
    list_select_related = ("practitioner", "location")
    search_fields = ("practitioner__display_name", "note")
    date_hierarchy = "date"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = staff_locations(request)
        elif db_field.name == "practitioner":
            kwargs["queryset"] = practitioners_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def clashing_visits(self, request, obj) -> list:
        return visits_without_their_practitioner(request.user, obj)

    def clash_subject(self, obj) -> str:
        return "this day's change"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.is_closed:
            # New hours are freed times: waitlisted patients hear about them in turn.
            scheduling.hours_added(override=obj)
