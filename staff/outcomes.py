"""The outcomes page: improvement, running and response at 6 and 12 weeks, by pathway and
location, for follow-ups due in a chosen period (the staff member's locations only)."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from clinic import roles
from outcomes import charts, reports

DEFAULT_PERIOD = timedelta(days=90)


class PeriodForm(forms.Form):
    since = forms.DateField(
        label="Due from", required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label="Due until", required=False, widget=forms.DateInput({"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The start of the period must be before its end.")
        return data


def period(form: PeriodForm, *, now: datetime) -> tuple[datetime, datetime]:
    """[since, until) in UTC; until never later than now, so only follow-ups already due count."""
    since, until = now - DEFAULT_PERIOD, now
    if form.is_valid():
        zone = timezone.get_current_timezone()
        if form.cleaned_data.get("since"):
            since = datetime.combine(form.cleaned_data["since"], time.min, tzinfo=zone)
        if form.cleaned_data.get("until"):
            day_after = form.cleaned_data["until"] + timedelta(days=1)
            until = min(now, datetime.combine(day_after, time.min, tzinfo=zone))
    return since, until


def outcomes_view(request):
    now = timezone.now()
    form = PeriodForm(request.GET or None)
    since, until = period(form, now=now)
    # The dashboard's scope: the staff member's own locations (superusers: all).
    user = request.user
    location_ids = None if user.is_superuser else roles.location_ids(user)
    rows = reports.outcome_rows(location_ids=location_ids, since=since, until=until)
    context = {
        **admin.site.each_context(request),
        "title": "Recovery outcomes",
        "form": form,
        "since": since,
        "until": until,
        "rows": rows,
        "charts": [charts.outcome_chart(rows)],
    }
    return TemplateResponse(request, "admin/outcomes.html", context)


admin_outcomes = admin.site.admin_view(outcomes_view)
