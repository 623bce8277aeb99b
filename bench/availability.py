"""Availability: `available_slots` for physio-assessment at all six locations over 28 days.

Called in-process (the service the pages and the API share), once with only the first ten
physiotherapists active and once with every practitioner of the network active, so a cost that
grows with the staff shows as a difference in time or in queries. The deactivated practitioners
are always reactivated.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bench import lib
from clinic.models import Location, Practitioner, Service
from clinic.scheduling import available_slots

GOAL_P95_MS = 50
GOAL_QUERIES = 6
DAYS = 28
FEW = 10


def call(service, locations):
    today = timezone.localdate()
    return available_slots(
        service=service,
        locations=locations,
        date_from=today,
        date_to=today + timedelta(days=DAYS - 1),
    )


def measure(case: str, key: str, service, locations, active: int, times: int) -> lib.Row:
    queries, slots = lib.count_queries(lambda: call(service, locations))
    samples = lib.repeat_ms(lambda: call(service, locations), times=times, budget_s=60)
    stats = lib.summary(samples)
    ok = stats["p95"] <= GOAL_P95_MS and queries <= GOAL_QUERIES
    row = lib.Row(
        key=key,
        measurement=f"Availability, physio-assessment, 6 locations, {DAYS} days: {case}",
        goal=f"p95 ≤ {GOAL_P95_MS} ms, ≤ {GOAL_QUERIES} queries",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        result=f"{len(slots):,} free slots from {active} physiotherapists",
        verdict=lib.verdict(ok),
        samples=stats["n"],
    )
    if lib.should_profile(row.verdict):
        row.profile = lib.profile(key, lambda: [call(service, locations) for _ in range(10)])
    return row


def main(argv: list[str]) -> int:
    scale = lib.scale()
    service = Service.objects.get(slug="physio-assessment")
    locations = list(Location.objects.order_by("pk"))
    physios = Practitioner.objects.filter(discipline=service.discipline, is_active=True)
    all_ids = list(physios.order_by("pk").values_list("pk", flat=True))
    total = Practitioner.objects.filter(is_active=True).count()
    rows = []
    try:
        with transaction.atomic():
            Practitioner.objects.filter(pk__in=all_ids[FEW:]).update(is_active=False)
        rows.append(
            measure(
                f"{FEW} physiotherapists",
                "availability-few",
                service,
                locations,
                min(FEW, len(all_ids)),
                scale.availability_calls,
            )
        )
    finally:
        Practitioner.objects.filter(pk__in=all_ids).update(is_active=True)
    rows.append(
        measure(
            f"all {total} practitioners",
            "availability-all",
            service,
            locations,
            len(all_ids),
            scale.availability_calls,
        )
    )
    if rows[0].queries != rows[1].queries:
        rows[1].result += f"; queries differ from the {FEW}-physiotherapist case"
    lib.save_rows("availability", rows)
    return 0
