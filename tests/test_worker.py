"""The real `python worker.py` process: it sends what is due, survives being killed mid-batch without
losing or repeating a reminder, and keeps the pace; its logs hold no number."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from bot.delivery import Delivery
from bot.pace import Pace
from bot.reminders import reminder_queue
from tests.helpers import assert_no_number
from tests.reminder_helpers import app_at, due_now_event, run_worker, start_worker, subscribe_many, write_events

NUMBERS = [f"+1505555{index:04d}" for index in range(20)]


@pytest.mark.slow
def test_the_worker_process_sends_what_is_due_and_stops_in_burst_mode(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    subscribe_many(app, NUMBERS[:3], event["id"], subscribe_at)
    worker = start_worker(app, "--burst")
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert sorted(m.to for m in messages_api.received) == NUMBERS[:3]
    assert_no_number(NUMBERS, output)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    subscribe_many(app, NUMBERS, event["id"], subscribe_at)
    messages_api.hold_from(8)  # Twilio receives the 8th message and is slow to answer: the worker dies waiting
    worker = start_worker(app, "--burst")
    try:
        assert messages_api.wait_for(8, timeout=30), "the worker never got going"
        worker.send_signal(signal.SIGKILL)
        first_output, _ = worker.communicate(timeout=10)
    finally:
        messages_api.release()
    assert len(messages_api.received) == 8

    again = start_worker(app, "--burst")
    output, _ = again.communicate(timeout=60)
    assert again.returncode == 0, output
    sent = [m.to for m in messages_api.received]
    assert sorted(sent) == NUMBERS, "every reminder went out, each once"
    assert_no_number(NUMBERS, first_output, output)


@pytest.mark.slow
def test_workers_killed_while_waiting_for_the_pace_lose_no_reminder_and_send_none_twice(sending, flows_dir,
                                                                                         messages_api, redis_client):
    """At TWILIO_MPS=2 a worker spends nearly all its time waiting for its next slot; three are killed there."""
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at({**sending, "twilio_mps": 2.0}, subscribe_at)
    numbers = NUMBERS[:12]
    subscribe_many(app, numbers, event["id"], subscribe_at)
    outputs = []
    for _ in range(3):
        worker = start_worker(app, "--burst")
        assert messages_api.wait_for(len(messages_api.received) + 2, timeout=30), "the worker never got going"
        worker.send_signal(signal.SIGKILL)
        outputs.append(worker.communicate(timeout=10)[0])
        # RQ takes a dead worker's job for abandoned once its heartbeat lapses (90 s here), then retries it; its
        # own clean-up, run as if that time had passed.
        StartedJobRegistry(queue=reminder_queue(redis_client)).cleanup(timestamp=time.time() + 3600)
    last = start_worker(app, "--burst")
    output, _ = last.communicate(timeout=60)
    assert last.returncode == 0, output
    assert sorted(m.to for m in messages_api.received) == numbers, "every reminder went out, each once"
    assert_no_number(numbers, *outputs, output)


def test_a_job_stopped_while_waiting_for_the_pace_has_claimed_nothing_and_runs_again_to_send(
        sending, flows_dir, messages_api, redis_client, monkeypatch):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at({**sending, "twilio_mps": 50.0}, subscribe_at)
    subscribe_many(app, NUMBERS[:1], event["id"], subscribe_at)
    (job_id,) = ScheduledJobRegistry(queue=reminder_queue(redis_client)).get_job_ids()
    payload = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer).args[0]
    services = app.extensions["rightsline"]
    sender = Delivery.build(services.settings, services.redis)
    real_wait = Pace.wait

    def killed_while_waiting(self, segments):
        raise SystemExit("killed while waiting for a slot")  # all a job knows of SIGKILL: it stops here

    monkeypatch.setattr(Pace, "wait", killed_while_waiting)
    with pytest.raises(SystemExit):
        sender.run(payload)
    assert not list(redis_client.scan_iter("rl:sent:*")), "a claim made before the wait would stop every retry"
    monkeypatch.setattr(Pace, "wait", real_wait)
    assert sender.run(payload) == "sent"  # the retry RQ makes of an abandoned job
    assert sender.run(payload) == "skipped:already sent"
    assert [m.to for m in messages_api.received] == NUMBERS[:1]


def test_the_pace_never_goes_over_twilio_mps(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at({**sending, "twilio_mps": 20.0}, subscribe_at)
    subscribe_many(app, NUMBERS, event["id"], subscribe_at)
    run_worker(app)
    arrivals = [m.at for m in messages_api.received]
    assert len(arrivals) == 20
    # One-segment messages at 20 a second: 50 ms apart at the least, so the whole run takes 0.95 s or more.
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= 20 * 1.05
    assert max(sum(1 for t in arrivals if start <= t < start + 1) for start in arrivals) <= 21


def test_two_workers_share_one_pace(redis_client):
    takes: list[float] = []

    def sender():
        pace = Pace(redis_client, 50.0, key="rl:pace:test")
        for _ in range(10):
            pace.wait(1)
            takes.append(time.monotonic())

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    takes.sort()
    # 20 ms apart on Redis's clock; together, never faster than 50 a second.
    assert len(takes) == 20 and (len(takes) - 1) / (takes[-1] - takes[0]) <= 50 * 1.05
