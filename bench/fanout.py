"""Reminder fan-out: thousands of reminders due at once, drained by 1 and 2 `worker.py` processes into the
Messages API stand-in, against RQ's ceiling for no-op jobs with the same worker class and count."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rq import Queue
from rq.serializers import JSONSerializer

from bench import noop
from bot import config, flow, reminders, store
from bot.config import ROOT
from tests.reminder_helpers import write_events
from tests.standin import MessagesAPI

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "bench-auth-token-0123456789abcdef"
SECRET = "bench-secret-0123456789abcdef0123456789"


def _wait_all(processes: list[subprocess.Popen], timeout: float) -> None:
    for process in processes:
        process.wait(timeout=timeout)
        if process.returncode:
            raise RuntimeError(f"a worker failed: {process.stdout.read() if process.stdout else ''}")


def rq_ceiling(redis_url: str, jobs: int, workers: int) -> float:
    """No-op jobs a second: from the first job taken to the last worker done."""
    connection = store.connect(redis_url, 30.0)
    connection.flushdb()
    queue = Queue(noop.QUEUE, connection=connection, serializer=JSONSerializer)
    pipe = connection.pipeline()
    for _ in range(jobs):
        queue.enqueue("bench.noop.nothing", {}, result_ttl=0, description="noop", pipeline=pipe)
    pipe.execute()
    processes = [subprocess.Popen([sys.executable, "-m", "bench.noop", redis_url], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    while len(queue) == jobs:
        time.sleep(0.002)
    first = time.monotonic()
    _wait_all(processes, 600)
    return jobs / (time.monotonic() - first)


def _settings(work: Path, redis_url: str, api: MessagesAPI, flows_dir: Path, mps: float | None) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("RIGHTSLINE_", "TWILIO_"))}
    env.update({"RIGHTSLINE_ENV": "production", "RIGHTSLINE_SECRET": SECRET, "REDIS_URL": redis_url,
                "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+15055550000",
                "TWILIO_API_URL": api.url, "RIGHTSLINE_FLOWS": str(flows_dir),
                "RIGHTSLINE_INSTANCE": str(work / "instance")})
    if mps:
        env["TWILIO_MPS"] = str(mps)
    return env


def reminder_rate(work: Path, redis_url: str, count: int, workers: int, mps: float | None = None) -> dict:
    """Subscribe `count` people to a reminder due now, release them all, and let `workers` worker.py
    processes send them: messages a second from the first to the last the stand-in received."""
    connection = store.connect(redis_url, 30.0)
    connection.flushdb()
    flows_dir = work / "flows"
    if not flows_dir.exists():
        subprocess.run(["cp", "-r", str(ROOT / "flows"), str(flows_dir)], check=True)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    write_events(flows_dir, {"id": "bench_webinar", "start": now + timedelta(minutes=55)})
    settings = config.load({"env": "test", "secret": SECRET, "redis_url": redis_url, "flows_dir": flows_dir,
                            "instance_dir": work / "instance"})
    scheduler = reminders.Reminders(settings, flow.load(flows_dir), connection)
    for index in range(count):
        number = f"+1505{index:07d}"
        scheduler.subscribe(number, store.sender_key(SECRET, number), "bench_webinar", "en",
                            now - timedelta(minutes=10))
    reminders.release_due(connection)
    with MessagesAPI(SID, TOKEN) as api:
        env = _settings(work, redis_url, api, flows_dir, mps)
        processes = [subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "--burst"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        _wait_all(processes, 900)
        arrivals = sorted(message.at for message in api.received)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    return {"sent": len(arrivals), "expected": count,
            "per_second": (len(arrivals) - 1) / span if span else 0.0,
            "max_in_any_second": max(sum(1 for t in arrivals if start <= t < start + 1) for start in arrivals)}


def run(work: Path, redis_url: str, count: int) -> dict:
    result: dict = {"reminders": count}
    lines = [f"Reminder fan-out: {count:,} due at once, worker.py (SimpleWorker) -> Messages API stand-in"]
    for workers in (1, 2):
        ceiling = rq_ceiling(redis_url, count, workers)
        sent = reminder_rate(work, redis_url, count, workers)
        result[f"{workers} worker(s)"] = {"rq_noop_per_second": ceiling, **sent}
        lines.append(f"  {workers} worker(s): {sent['per_second']:>6.0f} messages/s, RQ no-op ceiling "
                     f"{ceiling:>6.0f} jobs/s: {sent['per_second'] / ceiling:.0%}"
                     + ("" if sent["sent"] == count else f"  (only {sent['sent']} of {count} sent)"))
    paced_count = min(count, 1_000)
    paced = reminder_rate(work, redis_url, paced_count, 2, mps=100.0)
    result["paced at TWILIO_MPS=100, 2 workers"] = paced
    lines.append(f"  paced, TWILIO_MPS=100, 2 workers, {paced_count:,} reminders: {paced['per_second']:.1f}/s "
                 f"({(100 - paced['per_second']) / 100:+.1%} under the cap), most in any one second: "
                 f"{paced['max_in_any_second']}")
    result["lines"] = lines
    return result
