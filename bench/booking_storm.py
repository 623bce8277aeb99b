"""Booking storm: 100 clients book 50 contested slots at once through the API.

Each client has its own patient, API token and physiotherapy intake; two clients ask for each
slot. They are released together (a barrier) against gunicorn with 4 workers and PostgreSQL.
The server is warm, as it is in service: before the storm a small one (16 other clients on 8
other slots) has passed through every worker and its database connection, so the figure is not
the one-off cost of each worker's first booking.
The goal is correctness under contention: exactly one booking per slot, the other client gets
409, and afterwards SQL finds no two booked appointments of a practitioner that overlap; then
speed, 50 bookings a second. Three storms run, each on its own clients and slots: every one
must be correct, and the median rate is the figure (one storm lasts about a second, so one
alone swings with whatever else the two cores are doing).
"""

import json
import threading
import time
from collections import Counter
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench import lib
from clinic.models import Appointment, AppointmentStatus, Location, Service, User
from clinic.scheduling import available_slots
from patients import tokens
from patients.models import Patient
from triage import services as triage_services
from triage.models import Intake

WORKERS = 4
GOAL_PER_SECOND = 50  # issue 18
STORMS = 3  # each on its own clients and slots; the median rate is reported
CPU_SIDES = ("gunicorn", "postgres")  # whose CPU time a storm's requests cost
BOOK = "/api/v1/appointments"
# Clients outside the storm: a first in-process booking (it pays the process's one-off lookups),
# one for the query count, the rest for a profile.
EXTRA = 27
WARM_UP_SLOTS = 8  # two clients each, before the storm
# STarT Back medium risk with no red flag: physiotherapy, routine, bookable online (section 7).
PHYSIO_ANSWERS = {
    "age": 35, "pain_duration_weeks": 2, "pain_score": 4, "first_episode": False,
    "leg_pain_below_knee": False, "both_legs": False, "leg_numbness": False,
    "leg_weakness": "none", "saddle_numbness": False, "bladder_bowel_change": False,
    "fever": False, "cancer_history": False, "weight_loss": False, "immunosuppressed": False,
    "iv_drug_use": False, "night_pain": False, "trauma": "none", "osteoporosis": False,
    "steroids": False, "conservative_care_weeks": 0, "open_to_procedure": False,
    "load_increase": False, "hop_pain": False,
    "sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True,
    "sbst_5": False, "sbst_6": False, "sbst_7": False, "sbst_8": False, "sbst_9": "slightly",
}  # fmt: skip

OVERLAPS_SQL = """
SELECT count(*) FROM {table} a
JOIN {table} b ON b.practitioner_id = a.practitioner_id AND b.id <> a.id
  AND b.status = %s AND b.start < a.blocked_until AND a.start < b.blocked_until
WHERE a.status = %s AND a.id = ANY(%s)
"""


def make_clients(count: int, run: str, locations: list[Location]) -> list[dict]:
    """Patients with a token and a physiotherapy intake each."""
    clients = []
    for n in range(count):
        location = locations[n % len(locations)]
        user = User.objects.create_user(email=f"bench-storm-{run}-{n}@example.test")
        patient = Patient.objects.create(
            user=user, first_name="Storm", last_name=f"Runner {n}", preferred_location=location
        )
        _, token = tokens.token_create(user=user, name="bench")
        intake = triage_services.intake_submit(
            answers=PHYSIO_ANSWERS,
            contact={"first_name": "Storm", "last_name": f"Runner {n}", "email": user.email},
            runner_context={},
            preferred_location=location,
            patient=patient,
        )
        assert intake.current_decision.pathway == "physio", "the answers must give physio"
        clients.append({"patient": patient, "token": token, "intake": intake})
    return clients


def pick_slots(service, count: int) -> list:
    """`count` free slots spread over the next four weeks, at least a day ahead."""
    today = timezone.localdate()
    slots = available_slots(
        service=service, date_from=today + timedelta(days=1), date_to=today + timedelta(days=28)
    )
    if len(slots) < count:
        raise RuntimeError(f"only {len(slots)} free slots for {count} contested ones")
    step = len(slots) // count
    return slots[::step][:count]


def payload(slot, intake: Intake) -> dict:
    return {
        "service": slot.service_slug,
        "location": slot.location_slug,
        "practitioner": slot.practitioner_id,
        "start": slot.local_start.isoformat(),
        "intake": str(intake.public_id),
    }


# One handler for every in-process booking, as a gunicorn worker loads its middleware once.
_api = Client(HTTP_HOST="127.0.0.1")


def book_in_process(client: dict, slot) -> tuple[int, int]:
    """Queries and status of one booking through the API, in-process."""
    queries, response = lib.count_queries(
        lambda: _api.post(
            BOOK,
            data=json.dumps(payload(slot, client["intake"])),
            content_type="application/json",
            headers={"authorization": f"Bearer {client['token']}"},
        )
    )
    return queries, response.status_code


def storm(port: int, clients: list[dict], slots: list) -> tuple[list, float]:
    """Every client books its slot at the same moment; returns (response or error, seconds)."""
    results: list = [None] * len(clients)
    gate = threading.Barrier(len(clients) + 1, timeout=60)

    def client_thread(n: int) -> None:
        slot = slots[n // 2]  # two clients per slot
        body = payload(slot, clients[n]["intake"])
        try:
            gate.wait()
            results[n] = lib.post_json(port, BOOK, body, token=clients[n]["token"], timeout=120)
        except Exception as error:  # reported in the result, never hidden
            results[n] = error

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=180)
    return results, time.perf_counter() - started


def overlaps(appointment_ids: list[int]) -> int:
    booked = AppointmentStatus.BOOKED
    with connection.cursor() as cursor:
        cursor.execute(
            OVERLAPS_SQL.format(table=Appointment._meta.db_table),
            [booked, booked, appointment_ids],
        )
        return cursor.fetchone()[0]


def outcome(storm_clients: list[dict], results: list, seconds: float) -> dict:
    """What one storm did: the answers, the rows it booked, any overlap, bookings per second."""
    booked = list(
        Appointment.objects.filter(
            patient__in=[c["patient"] for c in storm_clients], status=AppointmentStatus.BOOKED
        ).values_list("pk", "practitioner_id", "start")
    )
    statuses = Counter(r.status for r in results if isinstance(r, lib.Response))
    return {
        "statuses": statuses,
        "errors": [r for r in results if not isinstance(r, lib.Response)],
        "latencies": [r.ms for r in results if isinstance(r, lib.Response)],
        "rows_booked": len(booked),
        "slots_booked": len({(practitioner, start) for _, practitioner, start in booked}),
        "overlaps": overlaps([pk for pk, _, _ in booked]),
        "seconds": seconds,
        "per_second": statuses[201] / seconds,
    }


def main(argv: list[str]) -> int:
    scale = lib.scale()
    clients_n, slots_n = scale.storm_clients, scale.storm_slots
    service = Service.objects.get(slug="physio-assessment")
    locations = list(Location.objects.order_by("pk"))
    run = str(int(time.time()))
    clients = make_clients(STORMS * clients_n + 2 * WARM_UP_SLOTS + EXTRA, run, locations)
    slots = pick_slots(service, STORMS * slots_n + WARM_UP_SLOTS + EXTRA)
    storms = [
        (clients[n * clients_n : (n + 1) * clients_n], slots[n * slots_n : (n + 1) * slots_n])
        for n in range(STORMS)
    ]
    clients, slots = clients[STORMS * clients_n :], slots[STORMS * slots_n :]
    warm_up_clients, extra_clients = clients[: 2 * WARM_UP_SLOTS], clients[2 * WARM_UP_SLOTS :]
    warm_up_slots, extra_slots = slots[:WARM_UP_SLOTS], slots[WARM_UP_SLOTS:]
    book_in_process(extra_clients[0], extra_slots[0])
    queries, status = book_in_process(extra_clients[1], extra_slots[1])
    if status != 201:
        raise RuntimeError(f"a plain booking through the API gave {status}, not 201")

    with lib.gunicorn(workers=WORKERS, name="storm") as port:
        warm_up, _ = storm(port, warm_up_clients, warm_up_slots)
        if any(not isinstance(r, lib.Response) or r.status not in (201, 409) for r in warm_up):
            raise RuntimeError(f"the warm-up storm failed: {warm_up!r}")
        runs = []
        for storm_clients, storm_slots in storms:
            before = {side: lib.cpu_seconds(side) for side in CPU_SIDES}
            results, seconds = storm(port, storm_clients, storm_slots)
            run_cpu = {side: lib.cpu_seconds(side) - before[side] for side in CPU_SIDES}
            runs.append({**outcome(storm_clients, results, seconds), "cpu": run_cpu})

    correct = all(
        r["statuses"][201] == slots_n
        and r["statuses"][409] == clients_n - slots_n
        and r["rows_booked"] == slots_n
        and r["slots_booked"] == slots_n
        and r["overlaps"] == 0
        and not r["errors"]
        for r in runs
    )
    rates = sorted(r["per_second"] for r in runs)
    rate = rates[len(rates) // 2]
    cpu_ms = {  # per request, over the three storms
        side: 1000 * sum(r["cpu"][side] for r in runs) / (STORMS * clients_n) for side in CPU_SIDES
    }
    ok = correct and rate >= GOAL_PER_SECOND
    latencies = [ms for r in runs for ms in r["latencies"]]
    stats = lib.summary(latencies) if latencies else {"median": None, "p95": None, "n": 0}
    statuses = sum((r["statuses"] for r in runs), Counter())
    errors = [error for r in runs for error in r["errors"]]
    other = {s: n for s, n in statuses.items() if s not in (201, 409)}
    row = lib.Row(
        key="booking-storm",
        measurement=(
            f"Booking storm, {clients_n} clients on {slots_n} slots, "
            f"API on gunicorn {WORKERS} workers, {STORMS} storms"
        ),
        goal=f"exactly {slots_n} booked, 0 overlaps, ≥ {GOAL_PER_SECOND} bookings/s",
        unit="ms",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        result=(
            f"each storm: {', '.join(str(r['statuses'][201]) for r in runs)} booked (201), "
            f"{', '.join(str(r['statuses'][409]) for r in runs)} refused (409), "
            f"{sum(r['overlaps'] for r in runs)} overlaps; {rate:,.0f} bookings/s (median; "
            f"{', '.join(f'{r:,.0f}' for r in rates)}); CPU per request: "
            f"{cpu_ms['gunicorn']:.1f} ms in the workers, {cpu_ms['postgres']:.1f} ms in PostgreSQL"
            + (f"; other answers {other}" if other else "")
            + (f"; {len(errors)} client errors: {errors[0]!r}" if errors else "")
        ),
        verdict=lib.verdict(ok),
        samples=stats["n"],
        details={
            "storms": [
                {
                    "statuses": dict(r["statuses"]),
                    "rows_booked": r["rows_booked"],
                    "slots_booked": r["slots_booked"],
                    "overlaps": r["overlaps"],
                    "seconds": r["seconds"],
                    "bookings_per_second": r["per_second"],
                    "cpu_seconds": r["cpu"],
                }
                for r in runs
            ],
            "bookings_per_second": rate,
            "cpu_ms_per_request": cpu_ms,
        },
    )
    if lib.should_profile(row.verdict):
        pairs = list(zip(extra_clients[2:], extra_slots[2:], strict=True))
        row.profile = lib.profile(
            "booking-storm", lambda: [book_in_process(c, s) for c, s in pairs]
        )
    lib.save_rows("booking_storm", [row])
    return 0
