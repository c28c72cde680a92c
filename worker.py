"""The RQ worker (`python worker.py`, `--burst` to drain the queue and stop): sends reminders.
It runs jobs in-process (SimpleWorker) with the scheduler, on REDIS_URL or the embedded Redis."""

from __future__ import annotations

import argparse
import logging

from bot import config, store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="work until the queue is empty, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from rq import Queue, SimpleWorker

    settings = config.load()
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = store.EmbeddedRedis(settings.instance_dir / "redis")
        url = embedded.url
    # No read timeout: the worker blocks on the queue for minutes at a time by design.
    connection = store.connect(url, timeout=None)
    try:
        queue = Queue("reminders", connection=connection)
        worker = SimpleWorker([queue], connection=connection)
        worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    finally:
        if embedded:
            embedded.shutdown()


if __name__ == "__main__":
    main()
