from functools import cache

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from clinic import calendar, health, sms
from clinic.security import client_ip
from patients.selectors import Access, record_list_access


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def practitioner_feed(request, token):
    """A practitioner's private calendar feed: the secret in the address is the only key, so a
    wrong or rotated one is a plain 404. Every visit it shows is in the access log."""
    practitioner = calendar.feed_practitioner(token)
    if practitioner is None:
        raise Http404("No such calendar.")
    appointments = list(calendar.feed_appointments(practitioner))
    record_list_access(
        Access(
            actor=practitioner.user or request.user,
            via=f"calendar feed of practitioner {practitioner.pk}",
            address=client_ip(request) or None,
        ),
        rows=[(a.patient_id, a.public_id) for a in appointments],
        object_type="appointment feed",
    )
    response = HttpResponse(
        calendar.feed_ics(practitioner, appointments), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="backstride.ics"'
    return response


@cache
def _favicon() -> bytes:
    return (settings.BASE_DIR / "static" / "favicon.svg").read_bytes()


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to; answer with the icon."""
    return HttpResponse(_favicon(), content_type="image/svg+xml")


@csrf_exempt  # the gateway cannot hold a CSRF token; its request signature is checked instead
@require_POST
def sms_inbound(request):
    """Twilio's webhook for a text a patient sent: STOP and START (clinic.sms.handle_inbound).

    Only a request signed with TWILIO_AUTH_TOKEN over the URL Twilio was given (SITE_URL and
    this path) is acted on; anything else is a 403 and changes nothing.
    """
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.SITE_URL + request.get_full_path()
    if not (
        settings.TWILIO_AUTH_TOKEN
        and signature
        and RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)
    ):
        return HttpResponseForbidden("Bad signature.")
    sms.handle_inbound(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # An empty TwiML answer: Twilio's own opt-out handling replies to STOP/START.
    return HttpResponse("<Response/>", content_type="text/xml")
