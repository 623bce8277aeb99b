"""The staff admin site: a password and a code from an authenticator app (TOTP), every time.

`StaffAdminSite` is django-otp's OTPAdminSite (nobody without a verified device gets in) with:

- one login form asking email, password and the 6-digit code at once; the staff member's
  authenticator app is picked for them (django-otp would otherwise ask them to choose a device);
- enrollment only through a set-up link an administrator issued (`staff.enrolment`): a staff
  member without a confirmed device gets the generic sign-in error, never a set-up page. The
  link asks for that account's password, then shows a QR code and the secret as text; they are
  signed in (with both factors) only once they type a code from the new app, which uses the
  link up. The half-done state lives in the session for ENROLLMENT_WINDOW and is tied to that
  user and that link;
- recovery codes for a lost phone (django-otp's static tokens): RECOVERY_CODE_COUNT one-use
  codes made when the app is confirmed and shown that once (only their values are stored, in
  django-otp's table, never shown again); any one of them stands in for the app's code at
  sign-in, and is then used up.

OWASP ASVS 2.7/2.8 (out-of-band and one-time verifiers), HIPAA 164.312(d) (person or entity
authentication). It becomes `admin.site` through clinic.apps.StaffAdminConfig.
"""

import base64
import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import enrolment, privacy

ENROLLMENT_SESSION_KEY = "staff_2fa_enrollment"
RECOVERY_CODES_SESSION_KEY = "staff_2fa_recovery_codes"  # from set-up to their one showing
ENROLLMENT_WINDOW = 10 * 60  # seconds from the password step to typing the first code
DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
DEFAULT_BACKEND = "django.contrib.auth.backends.ModelBackend"
GENERIC_ERROR = (
    "That email, password or code is not right. Check them and the code your app shows now, "
    "and try again."
)


def _code_field(label: str, *, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class StaffAuthenticationForm(OTPAdminAuthenticationForm):
    """Email, password and the authenticator code in one form.

    A wrong password, a missing, wrong, used or throttled code all get one and the same error
    (GENERIC_ERROR): the page never tells that the password was right (OWASP ASVS 2.2.1). A
    code refused after a right password counts as a failed sign-in for django-axes, like a
    wrong password, so guessing codes locks the account too.

    A staff member without a confirmed authenticator app gets that error too, whatever they
    type: a password alone never starts a set-up (that takes an administrator's link,
    `staff.enrolment`), and recovery codes alone do not sign in.
    """

    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "invalid_login": GENERIC_ERROR,
        "inactive": GENERIC_ERROR,
    }

    otp_token = _code_field("Code from your authenticator app", required=False)

    def clean(self):
        token = self.cleaned_data.get("otp_token") or ""
        if token and not token.strip().isdigit():
            # A recovery code, as typed: any case, with spaces or a dash.
            self.cleaned_data["otp_token"] = "".join(token.split()).replace("-", "").lower()
        # The password step (and the is_staff check) of AdminAuthenticationForm.
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        try:
            if user is not None and not enrolment.has_authenticator_app(user):
                raise ValidationError("No authenticator app")
            self.clean_otp(user)
        except ValidationError:
            # What django-otp would say ("Please enter your OTP token.", "Invalid token...")
            # tells a right password apart from a wrong one: say what a wrong password gets,
            # and count the failure where axes counts wrong passwords.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username")},
                request=self.request,
            )
            raise ValidationError(GENERIC_ERROR, code="invalid_login") from None
        return self.cleaned_data

    def _chosen_device(self, user):
        # Staff have one authenticator app and a set of recovery codes: the code's shape picks
        # one (6 digits: the app) instead of asking them to pick a device, so a code never
        # counts as a failure against the other. Only the user's own confirmed devices.
        device = super()._chosen_device(user)
        if device is None:
            token = self.cleaned_data.get("otp_token") or ""
            kind = TOTPDevice if token.isdigit() else StaticDevice
            device = kind.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        return device

    def _update_form(self, user):
        # django-otp would echo the password back into the page for the next try; we do not
        # put a password in HTML, and there is no device list to fill.
        return None


class EnrollmentForm(forms.Form):
    code = _code_field("6-digit code from the app", required=True)

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise ValidationError("Enter the 6 digits the app shows, without letters.")
        return code


class EnrolmentLinkForm(forms.Form):
    """The set-up link's first step: the password of the account the link was issued for."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class StaffAdminSite(OTPAdminSite):
    login_form = StaffAuthenticationForm
    login_template = "admin/staff_login.html"

    def __init__(self, name="admin"):
        super().__init__(name)

    def get_urls(self):
        return [
            path("two-factor/set-up/", self.enroll_view, name="two_factor_enroll"),
            path(
                "two-factor/enrol/<str:token>/",
                self.enrol_link_view,
                name="two_factor_enrol_link",
            ),
            path(
                "privacy/deletion-requests/",
                self.admin_view(privacy.deletion_requests_view),
                name="deletion_requests",
            ),
            path(
                "privacy/deletion-requests/<uuid:public_id>/",
                self.admin_view(privacy.deletion_confirm_view),
                name="deletion_confirm",
            ),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label in (None, "patients"):
            privacy.add_to_app_list(request, app_list)
        return app_list

    def enroll_view(self, request):
        return enroll(request, site=self)

    def enrol_link_view(self, request, token):
        return enrol_with_link(request, token, site=self)

    def index(self, request, extra_context=None):
        # The recovery codes made at set-up, once: they leave the session as they are shown
        # (admin_view makes the page never_cache); nothing can show them again.
        shown = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
        if isinstance(shown, dict) and shown.get("codes"):
            extra_context = {
                **(extra_context or {}),
                "recovery_codes": shown["codes"],
                "recovery_next": shown.get("next") or "",
            }
        return super().index(request, extra_context)


# --- Enrollment through an administrator's link -------------------------------------------------

LINK_REFUSED = (
    "This set-up link does not work: it has expired, it was already used, a newer link was "
    "issued, or the account is already set up. Ask a clinic administrator for a new link."
)


@never_cache
@sensitive_post_parameters("password")
def enrol_with_link(request, token, *, site):
    """The link's page: the account's password, then on to the QR code (`enroll`)."""
    link = enrolment.link_for_token(token)
    context = {**site.each_context(request), "title": "Set up two-step sign-in"}
    if link is None:
        context["refused"] = LINK_REFUSED
        return TemplateResponse(request, "admin/two_factor_link.html", context, status=410)
    form = EnrolmentLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through the authentication backends, so axes counts a wrong password and locks.
        user = authenticate(
            request, username=link.user.email, password=form.cleaned_data["password"]
        )
        if user is not None and user.pk == link.user_id:
            return enrollment_start(request, user=user, link=link)
        form.add_error("password", "That password is not right for this account.")
    context |= {"form": form, "staff_email": link.user.email}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "admin/two_factor_link.html", context, status=status)


def enrollment_start(request, *, user, link, next_url: str = ""):
    """The link is open and the password right: remember who and through which link, for a
    short while, in a fresh session, with a fresh secret. Nobody is signed in until a code
    from it is typed."""
    request.session.cycle_key()  # no session fixation across the password step
    with transaction.atomic():
        # A secret shown to an earlier, unfinished attempt is never accepted.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    request.session[ENROLLMENT_SESSION_KEY] = {
        "user_id": user.pk,
        "device_id": device.pk,
        "link_id": link.pk,
        "backend": getattr(user, "backend", DEFAULT_BACKEND),
        "started": time.time(),
        "next": next_url
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        else "",
    }
    return redirect("admin:two_factor_enroll")


def _pending(request):
    """(user, device, state) of the enrollment this session started, or None when there is
    none, it is older than ENROLLMENT_WINDOW, its link ended, or the account changed."""
    state = request.session.get(ENROLLMENT_SESSION_KEY)
    if not isinstance(state, dict):
        return None
    started = state.get("started")
    fresh = isinstance(started, int | float) and 0 <= time.time() - started <= ENROLLMENT_WINDOW
    user = (
        get_user_model()
        .objects.filter(pk=state.get("user_id"), is_active=True, is_staff=True)
        .first()
        if fresh
        else None
    )
    link = enrolment.link_still_open(state.get("link_id"), user=user) if user is not None else None
    device = (
        TOTPDevice.objects.filter(pk=state.get("device_id"), user=user, confirmed=False).first()
        if link is not None
        else None
    )
    if device is None:
        request.session.pop(ENROLLMENT_SESSION_KEY, None)
        return None
    return user, device, state


@never_cache
@sensitive_post_parameters("code")
def enroll(request, *, site):
    pending = _pending(request)
    if pending is None:
        return redirect("admin:login")
    user, device, state = pending
    form = EnrollmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = _confirm(device, form.cleaned_data["code"], link_id=state.get("link_id"))
        if confirmed is not None:
            request.session.pop(ENROLLMENT_SESSION_KEY, None)
            auth_login(request, user, backend=state.get("backend") or DEFAULT_BACKEND)
            otp_login(request, confirmed)
            # Shown once, at the top of the admin's first page (StaffAdminSite.index).
            request.session[RECOVERY_CODES_SESSION_KEY] = {
                "codes": recovery_codes_issue(user),
                "next": state.get("next") or "",
            }
            return redirect(reverse("admin:index", current_app=site.name))
        form.add_error(
            "code",
            "That code did not match. Check that the time on your phone is right and type "
            "the code the app shows now.",
        )
    context = {
        **site.each_context(request),
        "title": "Set up two-step sign-in",
        "form": form,
        "staff_email": user.email,
        "qr_code": _qr_data_uri(device.config_url),
        "secret": " ".join(_chunks(b32encode(device.bin_key).decode(), 4)),
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "admin/two_factor_enroll.html", context, status=status)


@transaction.atomic
def _confirm(device: TOTPDevice, code: str, *, link_id) -> TOTPDevice | None:
    # The link is locked first: two tabs with the same link cannot confirm two devices. It is
    # used up only by a right code, so a typo does not cost the person their link.
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    link = enrolment.link_lock(link_id, user=device.user)
    # verify_token throttles repeated failures (django-otp's ThrottlingMixin) and refuses a code
    # already used, so a shoulder-surfed code cannot be replayed.
    if link is None or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    enrolment.link_mark_used(link)
    return device


@transaction.atomic
def recovery_codes_issue(user) -> list[str]:
    """A fresh set of one-use recovery codes for `user`; any earlier set stops working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()  # 8 of a-z and 2-7
        if not code.isdigit() and code not in codes:  # all digits would read as an app code
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _qr_data_uri(text: str) -> str:
    """The QR code as an SVG data: URI: no extra request and no script (CSP allows data:)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
