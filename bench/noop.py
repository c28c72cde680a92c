"""RQ's own ceiling: a job that does nothing, and a burst SimpleWorker (JSON serializer) that drains them.
`python -m bench.noop REDIS_URL` is one such worker process."""

from __future__ import annotations

import sys

QUEUE = "bench-noop"


def nothing(payload: dict) -> None:
    return None


def main(url: str) -> None:
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer

    from bot import store

    connection = store.connect(url, timeout=None)
    queue = Queue(QUEUE, connection=connection, serializer=JSONSerializer)
    SimpleWorker([queue], connection=connection, serializer=JSONSerializer).work(burst=True, logging_level="WARNING")


if __name__ == "__main__":
    main(sys.argv[1])
