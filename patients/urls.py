from django.urls import path

from patients import views, views_tokens, views_waitlist

app_name = "patients"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile, name="profile"),
    path("me/tokens/", views_tokens.token_list, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views_tokens.token_revoke, name="token_revoke"),
    path("book/<uuid:intake_id>/", views.book, name="book"),
    path("book/<uuid:intake_id>/confirm/", views.book_confirm, name="book_confirm"),
    path("book/<uuid:intake_id>/waitlist/", views.waitlist_join, name="waitlist_join"),
    path("waitlist/offers/<str:token>/", views_waitlist.offer, name="waitlist_offer"),
    path("me/appointments/<uuid:public_id>/", views.appointment_detail, name="appointment"),
    path(
        "me/appointments/<uuid:public_id>/calendar.ics",
        views.appointment_ics,
        name="appointment_ics",
    ),
    path(
        "me/appointments/<uuid:public_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "me/appointments/<uuid:public_id>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "me/appointments/<uuid:public_id>/change-request/",
        views.appointment_change_request,
        name="appointment_change_request",
    ),
    path(
        "me/appointments/manage/<str:token>/",
        views.appointment_manage_link,
        name="appointment_manage_link",
    ),
]

# Privacy: download my data, delete my account (patients/views_privacy.py).
from patients import views_privacy  # noqa: E402

urlpatterns += [
    path("privacy-notice/", views_privacy.privacy_notice, name="privacy_notice"),
    path(
        "me/privacy-notice/accept/",
        views_privacy.privacy_notice_accept,
        name="privacy_notice_accept",
    ),
    path("me/privacy/", views_privacy.privacy_home, name="privacy"),
    path("me/privacy/my-data.json", views_privacy.data_export_json, name="privacy_export_json"),
    path("me/privacy/my-data/", views_privacy.data_export_page, name="privacy_export"),
    path("me/privacy/delete/", views_privacy.deletion_request, name="privacy_delete"),
    path(
        "me/privacy/delete/withdraw/",
        views_privacy.deletion_withdraw,
        name="privacy_delete_withdraw",
    ),
]
