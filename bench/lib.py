"""What every benchmark shares: the scale, timing and percentiles, query counts, result rows,
profiles, and the gunicorn and Celery processes (always stopped, whatever happens).

The percentile and summary helpers are pure (tests/bench/test_bench_lib.py); the rest needs the
run's environment (bench/run.sh sets BENCH_SCALE, BENCH_WORK and BENCH_OUT).
"""

import atexit
import http.client
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"


# --- Scale ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    practitioners: int  # total to reach (seed_demo --practitioners)
    patients: int
    intakes: int  # total in the queue at the end
    first_intakes: int  # the queue's size for the first admin measurement
    appointments: int
    engine_runs: int
    engine_batch: int  # assessments per engine run
    availability_calls: int
    admin_requests: int
    notifications: int
    intake_requests: int
    storm_clients: int = 100
    storm_slots: int = 50


SCALES = {
    "full": Scale(
        name="full",
        practitioners=60,
        patients=20_000,
        intakes=100_000,
        first_intakes=1_000,
        appointments=200_000,
        engine_runs=7,
        engine_batch=100_000,
        availability_calls=40,
        admin_requests=50,
        notifications=10_000,
        intake_requests=200,
    ),
    # For development on a busy machine: the same steps, minutes instead of a quarter hour.
    "small": Scale(
        name="small",
        practitioners=20,
        patients=1_000,
        intakes=5_000,
        first_intakes=1_000,
        appointments=5_000,
        engine_runs=5,
        engine_batch=20_000,
        availability_calls=20,
        admin_requests=30,
        notifications=1_000,
        intake_requests=50,
    ),
}


def scale() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full")
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return SCALES[name]


def work_dir() -> Path:
    """Scratch space of this run: result parts, logs, the mail log."""
    path = Path(os.environ.get("BENCH_WORK") or ROOT / "var" / "bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def out_dir() -> Path:
    """Where results.json and profiles/ go: bench/ for the full scale (set by run.sh)."""
    path = Path(os.environ.get("BENCH_OUT") or ROOT / "var" / f"bench-{scale().name}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def say(message: str) -> None:
    print(message, flush=True)


# --- Statistics (pure) ---------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict:
    """n, median, p95, min, max and mean of the samples."""
    return {
        "n": len(values),
        "median": percentile(values, 50),
        "p95": percentile(values, 95),
        "min": min(values),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


def rate_summary(counts_per_run: int, seconds: Sequence[float]) -> dict:
    """Throughput of repeated runs of `counts_per_run` items: the median rate and the rate of the
    slow end (the run at the 95th percentile of duration), per second."""
    if counts_per_run <= 0:
        raise ValueError("a run must process at least one item")
    durations = summary(seconds)
    return {
        "n": durations["n"],
        "median": counts_per_run / durations["median"],
        "p95": counts_per_run / durations["p95"],
        "best": counts_per_run / durations["min"],
    }


# --- Timing and query counts ---------------------------------------------------------------------


def time_ms(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def repeat_ms(
    fn: Callable[[], object], *, times: int, warmup: int = 2, budget_s: float = 120
) -> list[float]:
    """Milliseconds of `times` calls after `warmup` untimed ones; stops early past the budget."""
    for _ in range(warmup):
        fn()
    deadline = time.monotonic() + budget_s
    samples = []
    for _ in range(times):
        samples.append(time_ms(fn)[0])
        if time.monotonic() > deadline:
            say(f"  time budget of {budget_s:.0f} s reached after {len(samples)} samples")
            break
    return samples


def count_queries(fn: Callable[[], object]) -> tuple[int, object]:
    """How many SQL queries one call makes on the default database, and its result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return len(captured.captured_queries), result


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --- Result rows ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    key: str
    measurement: str
    goal: str
    unit: str  # "ms" or "/s"
    median: float | None
    p95: float | None
    queries: int | None = None
    result: str = ""
    verdict: str = "—"  # "pass", "miss", or "—" when there is no goal
    samples: int = 0
    profile: str | None = None
    details: dict | None = None


def save_rows(part: str, rows: list[Row]) -> None:
    """Keep one measurement's rows for bench/report.py (a file per measurement in BENCH_WORK)."""
    folder = work_dir() / "parts"
    folder.mkdir(exist_ok=True)
    (folder / f"{part}.json").write_text(json.dumps([asdict(row) for row in rows], indent=2))
    for row in rows:
        median = "—" if row.median is None else f"{row.median:,.1f} {row.unit}"
        p95 = "—" if row.p95 is None else f"{row.p95:,.1f} {row.unit}"
        queries = "—" if row.queries is None else row.queries
        say(
            f"  {row.measurement}: median {median}, p95 {p95}, queries {queries}"
            f"{', ' + row.result if row.result else ''} -> {row.verdict}"
        )


def load_part(part: str) -> list[dict]:
    path = work_dir() / "parts" / f"{part}.json"
    return json.loads(path.read_text()) if path.exists() else []


def verdict(ok: bool) -> str:
    return "pass" if ok else "miss"


# --- Profiles ------------------------------------------------------------------------------------


def should_profile(row_verdict: str) -> bool:
    """A missed goal is profiled; BENCH_PROFILE=always profiles everything (to check the code)."""
    return row_verdict == "miss" or os.environ.get("BENCH_PROFILE") == "always"


def profile(name: str, fn: Callable[[], object]) -> str | None:
    """Run `fn` under pyinstrument and save profiles/<name>.txt beside results.json: the call
    tree (library frames folded), then the functions by inclusive and by own time, so the file
    says where the time goes without a viewer.

    Returns the file's path relative to the results folder, or None without pyinstrument.
    """
    try:
        from pyinstrument import Profiler
    except ImportError:
        say("  pyinstrument is not installed (pip install pyinstrument): no profile")
        return None
    folder = out_dir() / "profiles"
    folder.mkdir(exist_ok=True)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    text = {"unicode": True, "color": False, "time": "percent_of_total"}
    tree = profiler.output_text(**text)
    inclusive = _top(profiler.output_text(flat=True, flat_time="total", **text))
    own = _top(profiler.output_text(flat=True, **text))
    sections = [
        ("Call tree (library frames folded)", tree),
        ("Functions by time including callees", inclusive),
        ("Functions by own time", own),
    ]
    body = "\n\n".join(f"## {title}\n{content.strip()}" for title, content in sections)
    body = body.replace(f"{ROOT}/", "")  # paths relative to the repository
    (folder / f"{name}.txt").write_text(body + "\n")
    say(f"  profile saved: {folder / name}.txt")
    return f"profiles/{name}.txt"


def _top(flat_listing: str, lines: int = 40) -> str:
    return "\n".join(flat_listing.strip().splitlines()[:lines])


# --- The machine ---------------------------------------------------------------------------------


def machine() -> dict:
    """Cores, memory and CPU model of this machine, and the load when the run started."""
    meminfo = _read_keyed("/proc/meminfo", ":")
    cpuinfo = _read_keyed("/proc/cpuinfo", ":")
    mem_kib = int(meminfo.get("MemTotal", "0 kB").split()[0])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu_model": cpuinfo.get("model name") or platform.processor() or platform.machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def _read_keyed(path: str, separator: str) -> dict:
    values = {}
    try:
        with open(path) as lines:
            for line in lines:
                key, found, value = line.partition(separator)
                if found and key.strip() not in values:
                    values[key.strip()] = value.strip()
    except OSError:
        pass
    return values


# --- Processes: gunicorn and the Celery worker ---------------------------------------------------

_started: list[subprocess.Popen] = []


def cpu_seconds(command: str) -> float:
    """CPU time (user + system) so far of every process on this machine whose command line
    holds `command` ("gunicorn", "postgres"), from /proc: what a measurement cost each side."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if command not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        # Its own session: a Ctrl-C reaches only this script, which then stops the children
        # in order; the process group lets stop() reach any worker the master left behind.
        process = subprocess.Popen(
            args, cwd=ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    _started.append(process)
    return process


def stop(process: subprocess.Popen, *, grace: float = 20) -> None:
    """TERM (a graceful shutdown for gunicorn and Celery), then KILL the group after `grace`."""
    if process.poll() is None:
        try:
            process.terminate()
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left in the group this script started (a pool process, a worker).
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        say(f"  process {process.pid} did not exit")
    if process in _started:
        _started.remove(process)


@atexit.register
def stop_all() -> None:
    """Stop every process this script started and has not stopped yet."""
    for process in list(_started):
        stop(process, grace=10)


def handle_signals() -> None:
    """TERM and HUP end the script through SystemExit, so every `finally` stops its processes."""

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_now)
    signal.signal(signal.SIGHUP, exit_now)


def _log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def gunicorn(*, workers: int, name: str, timeout: float = 60) -> Iterator[int]:
    """gunicorn with the bench settings on a free 127.0.0.1 port; yields the port once
    /healthz answers 200 (database and broker up). Always stopped on the way out."""
    port = free_port()
    log = work_dir() / f"gunicorn-{name}.log"
    process = _spawn(
        [
            sys.executable, "-m", "gunicorn", "clinic.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--timeout", "120",
            "--graceful-timeout", "10",
            "--log-level", "warning",
        ],
        log,
    )  # fmt: skip
    try:

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_log_tail(log)}")
            try:
                return get(port, "/healthz", timeout=2).status == 200
            except OSError:
                return False

        if not wait_until(healthy, timeout=timeout, interval=0.2):
            raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s")
        say(f"  gunicorn ready on 127.0.0.1:{port} ({workers} workers)")
        yield port
    finally:
        stop(process)


@contextmanager
def celery_worker(*, concurrency: int, timeout: float = 60) -> Iterator[subprocess.Popen]:
    """A real Celery worker (prefork pool) on the run's Redis; yields once it answers a ping."""
    from clinic.celery import app

    hostname = f"bench-{os.getpid()}@127.0.0.1"
    log = work_dir() / "celery-worker.log"
    process = _spawn(
        [
            sys.executable, "-m", "celery", "-A", "clinic", "worker",
            "--pool", "prefork",
            "--concurrency", str(concurrency),
            "--loglevel", "WARNING",
            "--hostname", hostname,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        log,
    )  # fmt: skip
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"celery exited with {process.returncode}:\n{_log_tail(log)}")
            return bool(app.control.ping(destination=[hostname], timeout=0.5))

        if not wait_until(answers, timeout=timeout, interval=0.2):
            raise RuntimeError(f"the Celery worker did not answer in {timeout:.0f} s")
        say(f"  Celery worker ready ({concurrency} processes)")
        yield process
    finally:
        stop(process)


# --- HTTP to 127.0.0.1 ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    ms: float
    headers: dict

    def json(self):
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = 60,
) -> Response:
    """One request on a fresh connection (gunicorn's sync workers close it after each)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return Response(response.status, payload, elapsed, dict(response.getheaders()))
    finally:
        connection.close()


def get(port: int, path: str, **kwargs) -> Response:
    return request(port, "GET", path, **kwargs)


def latencies_under_gunicorn(
    path: str, *, headers: dict, requests: int, warmup: int, check, workers: int, name: str
) -> list[float]:
    """Milliseconds of `requests` sequential GETs of `path` under gunicorn, after `warmup`
    unmeasured ones; `check(status, body)` raises on a wrong answer."""
    with gunicorn(workers=workers, name=name) as port:
        for _ in range(warmup):
            response = get(port, path, headers=headers)
            check(response.status, response.body)
        samples = []
        for _ in range(requests):
            response = get(port, path, headers=headers)
            check(response.status, response.body)
            samples.append(response.ms)
    return samples


def post_json(port: int, path: str, payload: dict, *, token: str, timeout: float = 60) -> Response:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return request(
        port, "POST", path, headers=headers, body=json.dumps(payload).encode(), timeout=timeout
    )
