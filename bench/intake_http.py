"""Intake submission over HTTP: POST /api/v1/intakes with a patient's token, under gunicorn.

Sequential requests after a warm-up, each with a different answer set drawn from a seeded
random.Random with a clinic's mix (some urgent ones plan a staff alert, some self-care ones a
check-in, as live submissions do). Queries: one submission in-process with the test client.
"""

import json
import random
import time

from django.test import Client

from bench import lib
from clinic.demo_data.bulk import random_answers
from clinic.models import Location, User
from patients import tokens
from patients.models import Patient

SUBMIT = "/api/v1/intakes"
WORKERS = 2
WARMUP = 6
SEED = 11


def patient_token(locations: list[Location]) -> str:
    user = User.objects.create_user(email=f"bench-intake-{int(time.time())}@example.test")
    Patient.objects.create(
        user=user, first_name="Intake", last_name="Runner", preferred_location=locations[0]
    )
    return tokens.token_create(user=user, name="bench")[1]


def bodies(count: int, locations: list[Location]) -> list[dict]:
    rng = random.Random(SEED)
    return [
        {
            **random_answers(rng),
            "preferred_location": rng.choice(locations).slug,
            "recent_race": False,
        }
        for _ in range(count)
    ]


def submit_in_process(token: str, body: dict) -> tuple[int, int]:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    queries, response = lib.count_queries(
        lambda: client.post(SUBMIT, data=json.dumps(body), content_type="application/json")
    )
    return queries, response.status_code


def main(argv: list[str]) -> int:
    scale = lib.scale()
    locations = list(Location.objects.order_by("pk"))
    token = patient_token(locations)
    payloads = bodies(WARMUP + scale.intake_requests + 11, locations)
    queries, status = submit_in_process(token, payloads.pop())
    if status != 201:
        raise RuntimeError(f"an intake through the API gave {status}, not 201")
    samples = []
    with lib.gunicorn(workers=WORKERS, name="intake") as port:
        for n, body in enumerate(payloads[: WARMUP + scale.intake_requests]):
            response = lib.post_json(port, SUBMIT, body, token=token)
            if response.status != 201:
                raise RuntimeError(f"POST {SUBMIT} gave {response.status}: {response.body[:300]!r}")
            if n >= WARMUP:
                samples.append(response.ms)
    stats = lib.summary(samples)
    row = lib.Row(
        key="intake-http",
        measurement=f"Intake submission, POST {SUBMIT}, gunicorn {WORKERS} workers",
        goal="— (recorded, no goal set)",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        result=f"{stats['n']} sequential submissions",
        samples=stats["n"],
    )
    if lib.should_profile(row.verdict):
        rest = payloads[WARMUP + scale.intake_requests :]
        row.profile = lib.profile(
            "intake-http", lambda: [submit_in_process(token, body) for body in rest]
        )
    lib.save_rows("intake_http", [row])
    return 0
