"""The recovery outcomes page (/admin/outcomes/) as a superuser past the second factor.

    python -m bench outcomes_dashboard

Latency: GET of the page for the default period (follow-ups due in the last 90 days, every
location) under gunicorn (2 workers, bench settings), sequential requests after a warm-up, as
the admin queue is measured. Queries: the same page in-process with Django's test client. The
data are the bulk intakes' follow-ups (clinic/demo_data/bulk_follow_ups.py).
"""

from django.conf import settings

from bench import lib
from bench.admin_queue import WARMUP, signed_in_client, staff_member
from outcomes.models import FollowUp, FollowUpAnswer
from triage.models import Intake

PAGE = "/admin/outcomes/"
GOAL_P95_MS = 300
WORKERS = 2


def check_page(status: int, body: bytes) -> None:
    if status != 200 or b"bs-outcomes" not in body:
        raise RuntimeError(f"GET {PAGE} gave {status} without the outcomes table")


def main(argv: list[str]) -> int:
    scale = lib.scale()
    user, device = staff_member()
    client = signed_in_client(user, device)
    response = client.get(PAGE)  # warm-up: content types, site, permissions caches
    check_page(response.status_code, response.content)
    queries, response = lib.count_queries(lambda: client.get(PAGE))
    check_page(response.status_code, response.content)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    samples = lib.latencies_under_gunicorn(
        PAGE,
        headers=headers,
        requests=scale.admin_requests,
        warmup=WARMUP,
        check=check_page,
        workers=WORKERS,
        name="outcomes",
    )
    stats = lib.summary(samples)
    intakes, follow_ups = Intake.objects.count(), FollowUp.objects.count()
    row = lib.Row(
        key="outcomes-dashboard",
        measurement=f"Outcomes page, {intakes:,} intakes, {follow_ups:,} follow-ups "
        f"({FollowUpAnswer.objects.count():,} answered), gunicorn {WORKERS} workers",
        goal=f"p95 ≤ {GOAL_P95_MS} ms",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        samples=stats["n"],
        details={"intakes": intakes, "follow_ups": follow_ups},
    )
    row.verdict = lib.verdict(stats["p95"] <= GOAL_P95_MS)
    if lib.should_profile(row.verdict):
        row.profile = lib.profile(
            "outcomes-dashboard", lambda: [client.get(PAGE) for _ in range(10)]
        )
    lib.save_rows("outcomes_dashboard", [row])
    return 0
