from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from patients import selectors


def home(request):
    return render(request, "patients/home.html")


@login_required
def dashboard(request):
    patient = selectors.patient_for_user(request.user)
    return render(
        request,
        "patients/dashboard.html",
        {"patient": patient, **selectors.dashboard_data(patient=patient)},
    )
