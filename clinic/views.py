from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic import calendar, health
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
