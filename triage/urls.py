from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("", views.start, name="start"),
    path("restart/", views.restart, name="restart"),
    path("step/<slug:slug>/", views.step, name="step"),
    path("review/", views.review, name="review"),
    path("result/<uuid:public_id>/", views.result, name="result"),
    # Linked from the 2-week self-care check-in email (templates/notifications/self_care_*).
    path("advice/self-care/", views.self_care_advice, name="self_care_advice"),
    path("under-16/", views.under_16, name="under_16"),
]
