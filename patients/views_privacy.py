"""The patient's privacy pages: download my data (JSON or a readable page), delete my account.

There is no id in these URLs: a patient only ever reaches their own record.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clinic.errors import NotAllowed
from patients import consent, privacy, services
from patients.forms_privacy import DeletionRequestForm, PrivacyNoticeAcceptForm
from patients.selectors import Access


@login_required
def privacy_home(request):
    patient = services.patient_for_user(request.user)
    context = {"patient": patient, "form": DeletionRequestForm()}
    return render(request, "patients/privacy.html", context)


@never_cache
@login_required
def data_export_json(request):
    patient = services.patient_for_user(request.user)
    data = privacy.access_data_export(Access.of(request, via="data export"), patient=patient)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    filename = f"backstride-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
def data_export_page(request):
    patient = services.patient_for_user(request.user)
    data = privacy.access_data_export(Access.of(request, via="data export"), patient=patient)
    for intake in data["intakes"]:
        intake["answers_in_words"] = privacy.readable_answers(intake["answers"])
    return render(request, "patients/privacy_export.html", {"data": data})


@login_required
def deletion_request(request):
    patient = services.patient_for_user(request.user)
    form = DeletionRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"patient": patient, "form": form}
            return render(request, "patients/privacy.html", context, status=400)
        try:
            privacy.account_deletion_request(patient=patient)
        except NotAllowed as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _(
                    "We have your request. A member of our team will delete your account; "
                    "until then you can withdraw the request on this page."
                ),
            )
    return redirect("patients:privacy")


@login_required
@require_POST
def deletion_withdraw(request):
    patient = services.patient_for_user(request.user)
    try:
        privacy.account_deletion_withdraw(patient=patient)
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your request to delete your account is withdrawn."))
    return redirect("patients:privacy")


def privacy_notice(request):
    """The privacy notice, public: linked from the sign-up box and every page's footer."""
    return render(
        request, "patients/privacy_notice.html", {"version": settings.PRIVACY_NOTICE_VERSION}
    )


@login_required
def privacy_notice_accept(request):
    """Asked (clinic.middleware.PrivacyNoticeMiddleware) when the notice changed since the
    patient last accepted it; back to where they were going afterwards."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    patient = services.patient_for_user(request.user)
    if consent.privacy_notice_current(patient):
        return redirect(next_url or "patients:dashboard")
    form = PrivacyNoticeAcceptForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        consent.accept_privacy_notice(patient=patient, by=request.user)
        return redirect(next_url or "patients:dashboard")
    context = {"form": form, "next": next_url, "version": settings.PRIVACY_NOTICE_VERSION}
    return render(request, "patients/privacy_notice_accept.html", context)
