"""`GET /health` is liveness; `GET /health/ready` tells the truth: 503 unless Redis answers and a reminder worker
has beaten in the last two minutes, with what is waiting and the day's outcomes, and never a number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import SimpleWorker
from rq.serializers import JSONSerializer
from rq.utils import utcformat

from bot import health
from bot.reminders import reminder_queue
from bot.web import create_app
from tests.helpers import assert_no_number, make_phone


def a_worker(redis_client) -> SimpleWorker:
    """A real RQ worker of the reminders queue, registered as worker.py's is, that has just beaten."""
    worker = SimpleWorker([reminder_queue(redis_client)], connection=redis_client, serializer=JSONSerializer,
                          worker_ttl=health.WORKER_TTL)
    worker.register_birth()
    return worker


def test_with_no_worker_the_line_is_alive_but_not_ready(client, redis_client):
    assert client.get("/health").status_code == 200
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json["worker"] == "no worker heard from" and answer.json["redis"] == "ok"


def test_with_a_worker_beating_the_line_is_ready_and_says_what_waits(client, redis_client):
    a_worker(redis_client)
    answer = client.get("/health/ready")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "ready" and answer.json["worker_heard_seconds_ago"] <= 5
    assert {"queued", "scheduled", "oldest_due_seconds_late", "today"} <= set(answer.json)


def test_a_worker_not_heard_from_for_over_two_minutes_is_taken_for_dead(client, redis_client):
    worker = a_worker(redis_client)
    redis_client.hset(worker.key, "last_heartbeat", utcformat(datetime.now(UTC) - timedelta(seconds=130)))
    answer = client.get("/health/ready")
    assert answer.status_code == 503 and answer.json["worker"] == "not heard from lately"


def test_a_reminder_left_waiting_past_its_time_shows_how_late_it_is(client, redis_client):
    a_worker(redis_client)
    reminder_queue(redis_client).enqueue_at(datetime.now(UTC) - timedelta(minutes=5), "bot.delivery.send_reminder",
                                            {}, job_id="overdue", description="reminder")
    late = client.get("/health/ready").json["oldest_due_seconds_late"]
    assert 290 <= late <= 320


def test_the_days_outcomes_are_counts_and_hold_no_number(client, redis_client):
    a_worker(redis_client)
    phone = make_phone(client, "+15055550123")
    phone("hi")
    redis_client.hincrby(f"rl:c:{datetime.now(UTC).date().isoformat()}", "reminder|es|sent", 3)
    answer = client.get("/health/ready")
    assert answer.json["today"]["reminder:sent"] == 3
    assert_no_number(["+15055550123"], answer.get_data(as_text=True))


def test_with_redis_unreachable_the_line_is_not_ready(overrides, shipped_flows):
    app = create_app({**overrides, "flows": shipped_flows, "redis_url": "redis://127.0.0.1:1/0"})
    answer = app.test_client().get("/health/ready")
    assert answer.status_code == 503 and answer.json["redis"].startswith("unreachable")
