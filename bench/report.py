"""Collect the measurements of this run into results.json and render the results table.

    python -m bench report [--readme bench/README.md] [--failed STEP ...]

The table replaces whatever stands between the README's results markers, so a rerun updates it
in place. Without --readme (a development-scale run) the table is printed and written to
table.md beside results.json only.
"""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from bench import lib
from clinic.models import Appointment, Location, Practitioner
from patients.models import Patient
from triage.models import Intake

START, END = "<!-- results:start -->", "<!-- results:end -->"
# The order of the table, which is also the order run.sh measures in.
PARTS = (
    "triage_engine",
    "availability",
    "admin_queue_first",
    "admin_queue_full",
    "fhir_search",
    "outcomes_dashboard",
    "booking_storm",
    "notification_dispatch",
    "intake_http",
)


def services() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    try:
        redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    except (redis.RedisError, KeyError, ValueError):
        redis_version = "unknown"
    return {"postgresql": postgresql, "redis": redis_version}


def data_sizes() -> dict:
    return {
        "locations": Location.objects.count(),
        "practitioners": Practitioner.objects.count(),
        "patients": Patient.objects.count(),
        "intakes": Intake.objects.count(),
        "appointments": Appointment.objects.count(),
    }


def figure(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "s":
        return f"{value:,.1f} s"
    return f"{value:,.1f} {unit}"


def cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(results: dict) -> str:
    m = results["machine"]
    sizes = results["data"]
    lines = [
        f"Measured {results['generated_at']} at the **{results['scale']['name']}** scale "
        f"({sizes['locations']} locations, {sizes['practitioners']} practitioners, "
        f"{sizes['patients']:,} patients, {sizes['intakes']:,} intakes, "
        f"{sizes['appointments']:,} appointments), in {results['duration_s'] / 60:.1f} minutes.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB memory, "
        f"{m['os']}; Python {m['python']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}. "
        f"Load average when the run started: {', '.join(map(str, m['load_average']))}; "
        f"when it ended: {', '.join(map(str, m['load_average_end']))}.",
        "",
        "| Measurement | Goal | Median | p95 | Queries | Result | Verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in results["rows"]:
        verdict = row["verdict"]
        if row.get("profile"):
            verdict += f" ([profile]({row['profile']}))"
        queries = "—" if row["queries"] is None else row["queries"]
        lines.append(
            "| "
            + " | ".join(
                cell(part)
                for part in (
                    row["measurement"],
                    row["goal"],
                    figure(row["median"], row["unit"]),
                    figure(row["p95"], row["unit"]),
                    queries,
                    row["result"],
                    verdict,
                )
            )
            + " |"
        )
    if results["failed_steps"]:
        lines += [
            "",
            f"**Steps that failed** (see the run's log): {', '.join(results['failed_steps'])}.",
        ]
    return "\n".join(lines)


def replace_between_markers(text: str, table: str) -> str:
    """`text` with everything between the results markers replaced by `table`."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"the README has no {START} ... {END} markers")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text, count=1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench report")
    parser.add_argument("--readme", type=Path, help="README whose results table to replace")
    parser.add_argument("--failed", nargs="*", default=[], help="steps that did not finish")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds the run took")
    args = parser.parse_args(argv)
    scale = lib.scale()
    results = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": vars(scale),
        "data": data_sizes(),
        "machine": {**lib.machine(), **services()},
        "duration_s": args.duration,
        "failed_steps": args.failed,
        "rows": [row for part in PARTS for row in lib.load_part(part)],
    }
    # The load at the start of the run (run.sh records it before seeding) and now.
    results["machine"]["load_average_end"] = results["machine"]["load_average"]
    started_load = lib.work_dir() / "load-at-start"
    if started_load.exists():
        results["machine"]["load_average"] = json.loads(started_load.read_text())
    out = lib.out_dir()
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = render(results)
    lib.say(f"\n{table}\n")
    lib.say(f"  results: {out / 'results.json'}")
    if args.readme:
        args.readme.write_text(replace_between_markers(args.readme.read_text(), table))
        lib.say(f"  table updated in {args.readme}")
    else:
        (out / "table.md").write_text(table + "\n")
        lib.say(f"  table: {out / 'table.md'}")
    return 0
