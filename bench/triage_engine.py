"""Triage engine throughput: `triage.engine.assess` on one core, no Django, no I/O.

The answers are drawn once, before timing, from a seeded random.Random: every field of protocol
section 2 with its own range or choices, and a clinic-like mix (rare red flags) half the time,
so the runs exercise the early red-flag exits as well as the full rule walk. Each run assesses
the whole list; the figure is assessments per second.
"""

import random
import time

from bench import lib
from clinic.demo_data.bulk import random_answers
from triage import engine

GOAL = 50_000  # assessments per second, on one core
DISTINCT = 10_000  # answer sets cycled through each run
SEED = 2026


def uniform_answers(rng: random.Random) -> dict:
    """Any valid answer set, every value equally likely (section 2's ranges and choices)."""
    answers = {}
    for name, field in engine.FIELDS.items():
        if field.kind == "int":
            answers[name] = rng.randint(field.min, field.max)
        elif field.kind == "bool":
            answers[name] = rng.random() < 0.5
        else:
            answers[name] = rng.choice(field.choices)
    return answers


def answer_sets(count: int, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    return [uniform_answers(rng) if n % 2 else random_answers(rng) for n in range(count)]


def run_once(answers: list[dict], batch: int) -> tuple[float, float]:
    """Seconds (wall clock, and CPU of this process) to assess `batch` answer sets."""
    assess, size = engine.assess, len(answers)
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(batch):
        assess(answers[n % size])
    return time.perf_counter() - started, time.process_time() - cpu


def main(argv: list[str]) -> int:
    scale = lib.scale()
    answers = answer_sets(DISTINCT)
    pathways = {engine.assess(a).pathway for a in answers}
    lib.say(f"  {len(answers):,} answer sets covering pathways {sorted(pathways)}")
    run_once(answers, DISTINCT)  # warm-up
    runs = [run_once(answers, scale.engine_batch) for _ in range(scale.engine_runs)]
    seconds = [wall for wall, _ in runs]
    rates = lib.rate_summary(scale.engine_batch, seconds)
    # One thread, no I/O: anything below a whole core is other programs taking the CPU.
    cpu_share = sum(cpu for _, cpu in runs) / sum(seconds)
    result = f"{scale.engine_runs} runs of {scale.engine_batch:,}"
    if cpu_share < 0.9:
        result += f"; busy machine: the run had {cpu_share:.0%} of a core"
    row = lib.Row(
        key="triage-engine",
        measurement="Triage engine, assessments per second on one core",
        goal=f"≥ {GOAL:,}/s",
        unit="/s",
        median=rates["median"],
        p95=rates["p95"],
        queries=0,
        result=result,
        verdict=lib.verdict(rates["median"] >= GOAL),
        samples=scale.engine_runs,
        details={"seconds": seconds, "best_rate": rates["best"], "cpu_share": cpu_share},
    )
    if lib.should_profile(row.verdict):
        row.profile = lib.profile("triage-engine", lambda: run_once(answers, scale.engine_batch))
    lib.save_rows("triage_engine", [row])
    return 0
