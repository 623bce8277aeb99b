"""A FHIR search page: GET /fhir/R4/ServiceRequest?_count=100 as a client for one clinic.

    python -m bench fhir_search

The bulk data has intakes but no referrals (those are made by the triage services one at a
time): first every imaging and surgical-consult intake gets its referral, in batches, as
`triage.services` would have made it (ready to schedule, or awaiting review for R9-R11; the
older ones moved on to scheduled, attended or closed). Then a client for the first location.

Latency: sequential requests under gunicorn (2 workers, bench settings) after a warm-up, with
the client's bearer token. Queries: the same page in-process with _count=10 and _count=100;
they must be equal (the count does not grow with the page).
"""

import random

from django.db import connection, transaction
from django.test import Client

from bench import lib
from clinic.models import Location
from fhir import clients
from fhir.models import FhirClient
from triage import engine
from triage.models import Intake, Referral
from triage.services import REFERRAL_PATHWAYS

PAGE = "/fhir/R4/ServiceRequest?_count=100"
GOAL_P95_MS = 100
WORKERS = 2
WARMUP = 6
BATCH = 5_000
SEED = 13
CLIENT_NAME = "bench FHIR client"


def _state(rng: random.Random, intake: Intake) -> str:
    if intake.current_decision.clinician_review and rng.random() < 0.5:
        return Referral.State.AWAITING_REVIEW
    return rng.choice(
        [
            Referral.State.READY_TO_SCHEDULE,
            Referral.State.SCHEDULED,
            Referral.State.ATTENDED,
            Referral.State.CLOSED,
        ]
    )


def seed_referrals() -> int:
    """Give every imaging or consult intake without one its referral; returns how many."""
    rng = random.Random(SEED)
    missing = (
        Intake.objects.filter(current_decision__pathway__in=REFERRAL_PATHWAYS, referrals=None)
        .select_related("current_decision")
        .order_by("pk")
    )
    made = 0
    while True:
        batch = list(missing[:BATCH])
        if not batch:
            return made
        rows = [
            Referral(
                intake=intake,
                pathway=intake.current_decision.pathway,
                urgency=intake.current_decision.urgency,
                state=_state(rng, intake),
                target_date=intake.created_at
                + engine.STAFF_TARGET[intake.current_decision.urgency],
            )
            for intake in batch
        ]
        with transaction.atomic():
            created = Referral.objects.bulk_create(rows)
            # As if made at submission (auto_now_add stamped them now).
            Referral.objects.bulk_update(
                [
                    _stamped(referral, intake)
                    for referral, intake in zip(created, batch, strict=True)
                ],
                ["created_at", "updated_at"],
            )
        made += len(rows)


def _stamped(referral: Referral, intake: Intake) -> Referral:
    referral.created_at = referral.updated_at = intake.created_at
    return referral


def client_token(location: Location) -> str:
    FhirClient.objects.filter(name=CLIENT_NAME).delete()
    return clients.client_create(name=CLIENT_NAME, location_slugs=[location.slug])[1]


def check_page(status: int, body: bytes) -> None:
    if status != 200 or b'"resourceType":"Bundle"' not in body:
        raise RuntimeError(f"GET {PAGE} gave {status}: {body[:300]!r}")


def queries_in_process(token: str, count: int) -> int:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    path = f"/fhir/R4/ServiceRequest?_count={count}"
    check_page(*_answer(client.get(path)))  # warm-up: also records the client's last use
    queries, response = lib.count_queries(lambda: client.get(path))
    check_page(*_answer(response))
    return queries


def _answer(response) -> tuple[int, bytes]:
    return response.status_code, response.content


def latency_under_gunicorn(token: str, requests: int) -> list[float]:
    return lib.latencies_under_gunicorn(
        PAGE,
        headers={"Authorization": f"Bearer {token}"},
        requests=requests,
        warmup=WARMUP,
        check=check_page,
        workers=WORKERS,
        name="fhir",
    )


def main(argv: list[str]) -> int:
    scale = lib.scale()
    made = seed_referrals()
    if made:
        lib.say(f"  {made:,} referrals made for the bulk intakes")
        # As autovacuum would on a live database (and bench.seed does for the rest): the
        # stamping update left a dead copy of every row, and the planner had no statistics.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Referral._meta.db_table}")
    location = Location.objects.order_by("pk").first()
    token = client_token(location)
    intakes = Intake.objects.count()
    referrals = Referral.objects.count()
    in_scope = Referral.objects.filter(intake__preferred_location=location).count()
    small, large = queries_in_process(token, 10), queries_in_process(token, 100)
    stats = lib.summary(latency_under_gunicorn(token, scale.admin_requests))
    differs = small != large
    row = lib.Row(
        key="fhir-search",
        measurement=(
            f"FHIR ServiceRequest search, 100 per page, {intakes:,} intakes "
            f"({referrals:,} referrals, {in_scope:,} at {location.name}), "
            f"gunicorn {WORKERS} workers"
        ),
        goal=f"p95 ≤ {GOAL_P95_MS} ms; queries equal at 10 and 100 per page",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=large,
        result=f"{small} queries at 10 per page: " + ("differs" if differs else "equal"),
        samples=stats["n"],
        details={"intakes": intakes, "referrals": referrals, "in_scope": in_scope},
    )
    row.verdict = lib.verdict(stats["p95"] <= GOAL_P95_MS and not differs)
    if lib.should_profile(row.verdict):
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
        row.profile = lib.profile("fhir-search", lambda: [client.get(PAGE) for _ in range(10)])
    lib.save_rows("fhir_search", [row])
    return 0
