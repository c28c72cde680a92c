"""`python3 dev.py bench` (or `.venv/bin/python -m bench`): every benchmark, one table, bench/results/latest.json.
Each figure sits beside a ceiling measured in the same run on this machine; medians of several rounds."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import store

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["webhook", "fanout", "flows", "memory"], action="append",
                        help="run only these sections (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one webhook round")
    parser.add_argument("--reminders", type=int, default=5_000, help="reminders due at once in the fan-out")
    parser.add_argument("--requests", type=int, default=30_000, help="requests before a web worker's memory is read")
    parser.add_argument("--full", action="store_true",
                        help="the issue's full sizes: 10,000 reminders, 100,000 requests (about 8 minutes)")
    args = parser.parse_args()
    if args.full:
        args.reminders, args.requests = 10_000, 100_000
    sections = args.only or ["flows", "webhook", "fanout", "memory"]
    started = time.monotonic()
    report: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "sections": {}}
    with tempfile.TemporaryDirectory(prefix="rightsline-bench-") as folder:
        work = Path(folder)
        redis_server = store.EmbeddedRedis(work / "redis")
        try:
            for section in sections:
                print(f"[{section}]", flush=True)
                report["sections"][section] = run_section(section, work, redis_server.url, args)
        finally:
            redis_server.shutdown()
    report["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    from bench.table import render

    print(render(report))
    print(f"\nwritten to {RESULTS / 'latest.json'} ({report['seconds']} s in all)")


def run_section(section: str, work: Path, redis_url: str, args) -> dict:
    store.connect(redis_url, 5.0).flushdb()
    if section == "webhook":
        from bench import webhook

        return webhook.run(work, redis_url, args.rounds, args.seconds, (8, 32))
    if section == "fanout":
        from bench import fanout

        return fanout.run(work, redis_url, args.reminders)
    if section == "flows":
        from bench import flows_scale

        return flows_scale.run(work)
    from bench import memory

    return memory.run(work, redis_url, args.requests)


if __name__ == "__main__":
    main()
