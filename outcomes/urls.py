from django.urls import path

from outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("progress/<uuid:public_id>/", views.progress, name="progress"),
    path("<str:token>/", views.answer, name="answer"),
    path("<str:token>/stop/", views.stop, name="stop"),
    path("<str:token>/new-check/", views.new_check, name="new_check"),
]
