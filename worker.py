"""The RQ worker (`python worker.py`, `--burst` to drain what is due and stop): sends reminders.
It runs jobs in-process (SimpleWorker) with the scheduler, on REDIS_URL or the embedded Redis."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="send what is due, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The SDK logs every request's URL and headers at INFO: noise here, and nothing an operator needs.
    logging.getLogger("twilio").setLevel(logging.WARNING)

    # Everything a job needs is imported and built before the first job: the Twilio SDK and the flows
    # are loaded once per worker, not once per reminder.
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from bot import config, delivery, health, reminders, store

    settings = config.load()
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = store.EmbeddedRedis(settings.instance_dir / "redis")
        url = embedded.url
    # No read timeout: the worker blocks on the queue for minutes at a time by design.
    connection = store.connect(url, timeout=None)
    try:
        sender = delivery.Delivery.build(settings, connection)
        delivery.install(sender)
        reminders.Reminders(settings, sender.flows, connection).sync(datetime.now(UTC))
        if args.burst:
            reminders.release_due(connection)  # all that is due, not just RQ's first 1,000
        queue = reminders.reminder_queue(connection)
        # SimpleWorker runs each job in this process: a forking worker would re-import the SDK for every
        # reminder. A job that raises is recorded by RQ and the worker goes on to the next.
        # A short worker_ttl makes an idle worker beat every 45 s, which /health/ready reads.
        worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer, worker_ttl=health.WORKER_TTL)
        worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    finally:
        if embedded:
            embedded.shutdown()


if __name__ == "__main__":
    main()
