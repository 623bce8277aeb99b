"""Account deletion requests in the staff admin: superusers review and confirm them.

Pages on the admin site (wired in staff.site.StaffAdminSite.get_urls, listed under
"Patients" on the index): the open requests, oldest first, and a confirmation page per request
that says what will happen before `patients.privacy.account_deletion_confirm` does it.

`confirm_account_deletion` is also an admin action for a Patient changelist
(`actions = [confirm_account_deletion]`), for the same service from the patient list.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from clinic.errors import NotAllowed
from patients import privacy
from patients.selectors import Access, record_access


def _superuser_only(request) -> None:
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied


def deletion_requests_view(request):
    _superuser_only(request)
    context = {
        **admin.site.each_context(request),
        "title": "Account deletion requests",
        "requests": privacy.deletion_requests_pending(),
    }
    return TemplateResponse(request, "admin/privacy/deletion_requests.html", context)


def deletion_confirm_view(request, public_id):
    _superuser_only(request)
    patient = privacy.deletion_requests_pending().filter(public_id=public_id).first()
    if patient is None:
        raise Http404("No open deletion request for this patient.")
    if request.method == "POST":
        try:
            privacy.account_deletion_confirm(patient=patient, actor=request.user)
        except NotAllowed as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "The account is deleted; the care records are kept.")
        return redirect("admin:deletion_requests")
    record_access(
        Access.of(request),
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.public_id,
    )
    context = {
        **admin.site.each_context(request),
        "title": "Delete this account?",
        "patient": patient,
        "appointments": patient.appointments.select_related("service", "location").order_by(
            "start"
        ),
        "intake_count": patient.intakes.count(),
    }
    return TemplateResponse(request, "admin/privacy/deletion_confirm.html", context)


def add_to_app_list(request, app_list: list[dict]) -> None:
    """List "Account deletion requests" under Patients on the admin index, for superusers."""
    if not (request.user.is_active and request.user.is_superuser):
        return
    entry = {
        "name": "Account deletion requests",
        "object_name": "DeletionRequest",
        "perms": {"view": True},
        "admin_url": reverse("admin:deletion_requests"),
        "add_url": None,
        "view_only": True,
    }
    for app in app_list:
        if app["app_label"] == "patients":
            app["models"].append(entry)
            return


@admin.action(description="Delete the accounts of the selected patients (they asked)")
def confirm_account_deletion(modeladmin, request, queryset):
    """Admin action: confirm the deletion request of each selected patient."""
    if not (request.user.is_active and request.user.is_superuser):
        modeladmin.message_user(request, "Only superusers delete accounts.", messages.ERROR)
        return
    deleted, refused = 0, []
    for patient in queryset.select_related("user"):
        try:
            privacy.account_deletion_confirm(patient=patient, actor=request.user)
        except NotAllowed as refusal:
            refused.append(f"{patient}: {refusal}")
        else:
            deleted += 1
    if deleted:
        modeladmin.message_user(request, f"{deleted} account(s) deleted.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)
