"""The staff queue (/admin/triage/intake/) as a superuser past the second factor.

    python -m bench admin_queue --stage first   at Scale.first_intakes intakes, before bulk data
    python -m bench admin_queue --stage full    at Scale.intakes intakes

Latency: GET of the first page under gunicorn (2 workers, bench settings), sequential requests
after a warm-up, with the cookie of a signed-in session whose second factor is verified (a
confirmed TOTP device recorded in the session, as django-otp does after the code is entered).
Queries: the same page in-process with Django's test client; the count must not grow with the
queue, so the full stage is compared with the first and must be equal (the paginator counts up
to 10,000 rows and reads the planner's estimate in the same query).
"""

import argparse

from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench import lib
from clinic.models import User
from triage.models import Intake

QUEUE = "/admin/triage/intake/"
GOAL_P95_MS = 150
WORKERS = 2
WARMUP = 6
EMAIL = "bench-admin@backstride.test"


def staff_member() -> tuple[User, TOTPDevice]:
    """A superuser with a confirmed TOTP device (no password: only sessions made here)."""
    user, _ = User.objects.get_or_create(
        email=EMAIL,
        defaults={"is_staff": True, "is_superuser": True, "first_name": "Bench"},
    )
    if not user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    return user, device


def signed_in_client(user: User, device: TOTPDevice) -> Client:
    """A test client signed in as `user` with the second factor passed."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def check_page(status: int, body: bytes) -> None:
    if status != 200 or b'id="result_list"' not in body:
        raise RuntimeError(
            f"GET {QUEUE} gave {status} without the result list: is the session signed in and "
            "verified?"
        )


def queries_in_process(client: Client) -> int:
    response = client.get(QUEUE)  # warm-up: content types, site, permissions caches
    check_page(response.status_code, response.content)
    queries, response = lib.count_queries(lambda: client.get(QUEUE))
    check_page(response.status_code, response.content)
    return queries


def latency_under_gunicorn(cookie: str, requests: int) -> list[float]:
    return lib.latencies_under_gunicorn(
        QUEUE,
        headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
        requests=requests,
        warmup=WARMUP,
        check=check_page,
        workers=WORKERS,
        name="admin",
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench admin_queue")
    parser.add_argument("--stage", choices=("first", "full"), required=True)
    stage = parser.parse_args(argv).stage
    scale = lib.scale()
    user, device = staff_member()
    intakes = Intake.objects.count()
    queries = queries_in_process(signed_in_client(user, device))
    cookie = signed_in_client(user, device).cookies[settings.SESSION_COOKIE_NAME].value
    stats = lib.summary(latency_under_gunicorn(cookie, scale.admin_requests))
    row = lib.Row(
        key=f"admin-queue-{stage}",
        measurement=f"Admin queue changelist, {intakes:,} intakes, gunicorn {WORKERS} workers",
        goal=f"p95 ≤ {GOAL_P95_MS} ms; queries equal at {scale.first_intakes:,} intakes",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        samples=stats["n"],
        details={"intakes": intakes},
    )
    if stage == "first":
        row.goal = "— (reference for the query count)"
        row.result = f"the {scale.intakes:,}-intake page must make as many queries"
    else:
        first = next(iter(lib.load_part("admin_queue_first")), None)
        if first is None:
            row.result, differs = "no count at the first stage to compare with", True
        else:
            differs = queries != first["queries"]
            row.result = (
                f"{first['queries']} queries at {first['details']['intakes']:,} intakes: "
                + ("differs" if differs else "equal")
            )
        row.verdict = lib.verdict(stats["p95"] <= GOAL_P95_MS and not differs)
    if lib.should_profile(row.verdict):
        client = signed_in_client(user, device)
        row.profile = lib.profile(
            f"admin-queue-{stage}", lambda: [client.get(QUEUE) for _ in range(10)]
        )
    lib.save_rows(f"admin_queue_{stage}", [row])
    return 0
