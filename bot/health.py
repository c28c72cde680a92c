"""Whether the line can do its work now, for `GET /health/ready`: Redis answers and a reminder worker has said it
is alive lately (RQ's own heartbeat), with what is waiting and the day's outcomes. Counts only: no number, no
secret, nothing about anyone."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from rq import Worker
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from bot.reminders import reminder_queue
from bot.store import PREFIX

HEARTBEAT_SECONDS = 120  # a worker not heard from for longer is taken for dead
WORKER_TTL = 60  # worker.py's RQ worker_ttl: idle, it beats every 45 s (RQ beats worker_ttl - 15 s apart)
OUTCOMES = ("reminder", "text", "media", "limits")  # the kinds of the day's counts that are outcomes, not page views


def readiness(connection: redis.Redis, now: datetime | None = None) -> tuple[bool, dict]:
    """(ready, report). Real time, not an app's frozen clock: heartbeats and due times are the real clock's."""
    now = now or datetime.now(UTC)
    try:
        queue = reminder_queue(connection)
        beats = [worker.last_heartbeat for worker in Worker.all(queue=queue, serializer=JSONSerializer)
                 if worker.last_heartbeat]
        due = connection.zrangebyscore(ScheduledJobRegistry(queue=queue).key, "-inf", now.timestamp(), start=0,
                                       num=1, withscores=True)
        counts = connection.hgetall(f"{PREFIX}:c:{now.date().isoformat()}")
        waiting, scheduled = queue.count, ScheduledJobRegistry(queue=queue).count
    except redis.RedisError as error:
        return False, {"status": "not ready", "redis": f"unreachable ({type(error).__name__})"}
    newest = max((beat if beat.tzinfo else beat.replace(tzinfo=UTC) for beat in beats), default=None)
    heard = round((now - newest).total_seconds()) if newest else None
    ready = heard is not None and heard <= HEARTBEAT_SECONDS
    today: dict[str, int] = {}
    for field, value in counts.items():
        kind, _lang, outcome = (field.decode() if isinstance(field, bytes) else str(field)).split("|", 2)
        if kind in OUTCOMES:
            today[f"{kind}:{outcome}"] = today.get(f"{kind}:{outcome}", 0) + int(value)
    report = {
        "status": "ready" if ready else "not ready",
        "redis": "ok",
        "worker": ("alive" if ready else "no worker heard from" if heard is None else "not heard from lately"),
        "worker_heard_seconds_ago": heard,
        "queued": waiting,
        "scheduled": scheduled,
        "oldest_due_seconds_late": round(now.timestamp() - float(due[0][1])) if due else 0,
        "today": dict(sorted(today.items())),
    }
    return ready, report
