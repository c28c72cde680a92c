"""Event reminders end to end: asked for by text, scheduled as RQ jobs on a real Redis, sent by a real
burst worker to the Messages API stand-in, once, in the person's language; cancelled, retried, synced."""

from __future__ import annotations

from datetime import timedelta

from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from bot import flow, reminders
from bot.reminders import Reminders, reminder_queue
from tests.helpers import call_in, make_caller, make_phone
from tests.reminder_helpers import (
    app_at,
    ask_for_reminder,
    day_only_event,
    due_now_event,
    future_event,
    real_now,
    run_worker,
    write_events,
)

NUMBER = "+15055550123"


def scheduled(app) -> list[str]:
    return ScheduledJobRegistry(queue=reminder_queue(app.extensions["rightsline"].redis)).get_job_ids()


def translator(app):
    return app.extensions["rightsline"].translator


# ---------------------------------------------------------------- asking


def test_the_events_menu_offers_each_upcoming_event_and_a_reminder_under_it(sending, flows_dir):
    event = future_event()
    write_events(flows_dir, event)
    app = app_at(sending, real_now())
    phone = make_phone(app.test_client(), NUMBER)
    phone("hi")
    listing = phone("3")
    assert "1 Later webinar, " in listing and "Reply a number for details and a text reminder:" in listing
    detail = phone("1")
    assert detail.startswith("Later webinar: ") and "cabq.gov/oira-resources" in detail
    assert "1 Text me a reminder" in detail
    assert translator(app).value("en", flow.load(flows_dir).events[0].start) in detail


def test_a_reminder_asked_for_by_text_arrives_once_in_the_persons_language(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    confirmation = ask_for_reminder(app.test_client(), NUMBER, lang="es")
    assert confirmation.startswith("Listo. Le enviaremos un recordatorio el ")
    assert "ALTO o BORRAR" in confirmation
    assert len(scheduled(app)) == 1  # the day-before one had passed already; the hour-before one is ahead

    run_worker(app)
    run_worker(app)  # a second pass finds nothing more to send

    assert len(messages_api.received) == 1
    (message,) = messages_api.received
    assert message.to == NUMBER and message.sender == "+15055550000"
    start = flow.load(flows_dir).events[0].start
    assert message.body.startswith(f"Recordatorio de Línea de Derechos: Test webinar, "
                                   f"{translator(app).value('es', start)}. cabq.gov/oira-resources")
    assert "ALTO" in message.body
    services = app.extensions["rightsline"]
    assert scheduled(app) == [] and not list(services.redis.scan_iter("rl:r:*"))  # nothing left pending


def test_the_confirmation_says_when_each_reminder_will_come(sending, flows_dir):
    event = future_event()
    write_events(flows_dir, event)
    app = app_at(sending, real_now())
    confirmation = ask_for_reminder(app.test_client(), NUMBER)
    loaded = flow.load(flows_dir).events[0]
    moments = [moment for _offset, moment in loaded.reminder_moments(real_now())]
    assert len(moments) == 2 and len(scheduled(app)) == 2
    assert translator(app).value("en", tuple(moments)) in confirmation
    assert " and " in confirmation and "STOP or FORGET" in confirmation


def test_an_event_without_a_time_gets_only_the_day_before_reminder(sending, flows_dir):
    write_events(flows_dir, day_only_event())
    app = app_at(sending, real_now())
    confirmation = ask_for_reminder(app.test_client(), NUMBER)
    assert "10:00" in confirmation and len(scheduled(app)) == 1


def test_asking_twice_schedules_nothing_new_and_sends_once(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    ask_for_reminder(app.test_client(), NUMBER)
    again = ask_for_reminder(app.test_client(), NUMBER)
    assert again.startswith("Done. We will text you a reminder on ")
    assert len(scheduled(app)) == 1
    run_worker(app)
    assert len(messages_api.bodies_to(NUMBER)) == 1
    ask_for_reminder(app.test_client(), NUMBER)  # after it went out: not scheduled a second time
    assert scheduled(app) == []


def test_no_reminder_is_offered_once_every_reminder_time_has_passed(sending, flows_dir):
    now = real_now()
    write_events(flows_dir, {"id": "soon", "start": now + timedelta(minutes=30)})
    app = app_at(sending, now)
    phone = make_phone(app.test_client(), NUMBER)
    phone("hi")
    phone("3")
    detail = phone("1")
    assert "Text me a reminder" not in detail
    assert phone("1").startswith(translator(app).text("en", "system:unknown"))  # "1" is no option here
    assert scheduled(app) == []


# ---------------------------------------------------------------- cancelling


def test_stop_and_forget_cancel_every_pending_reminder(sending, flows_dir, messages_api):
    write_events(flows_dir, future_event("one"), future_event("two", days=4))
    app = app_at(sending, real_now())
    client = app.test_client()
    ask_for_reminder(client, NUMBER, event_key="1")
    ask_for_reminder(client, NUMBER, event_key="2")
    ask_for_reminder(client, "+15055551234")
    assert len(scheduled(app)) == 6
    make_phone(client, NUMBER)("STOP")
    assert len(scheduled(app)) == 2  # only the other person's
    make_phone(client, "+15055551234")("BORRAR")
    assert scheduled(app) == []
    services = app.extensions["rightsline"]
    assert not list(services.redis.scan_iter("rl:r:*")) and not list(services.redis.scan_iter("rq:job:*"))


def test_an_opt_out_at_the_carrier_cancels_the_rest(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    later = future_event()
    write_events(flows_dir, event, later)
    app = app_at(sending, subscribe_at)
    client = app.test_client()
    ask_for_reminder(client, NUMBER, event_key="1")
    ask_for_reminder(client, NUMBER, event_key="2")
    assert len(scheduled(app)) == 3
    messages_api.answer(400, 21610)
    run_worker(app)
    assert messages_api.received == [] and messages_api.refused == [(400, 21610)]
    assert scheduled(app) == []


# ---------------------------------------------------------------- Twilio's answers


def subscribed_and_due(sending, flows_dir):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    ask_for_reminder(app.test_client(), NUMBER)
    return app


def test_too_many_requests_is_retried_and_sent_exactly_once(sending, flows_dir, messages_api):
    app = subscribed_and_due(sending, flows_dir)
    messages_api.answer(429, 20429)
    run_worker(app)
    assert messages_api.refused == [(429, 20429)] and len(messages_api.bodies_to(NUMBER)) == 1


def test_a_server_error_is_retried_and_sent_exactly_once(sending, flows_dir, messages_api):
    app = subscribed_and_due(sending, flows_dir)
    messages_api.answer(500, 20500, times=2)
    run_worker(app)
    assert messages_api.refused == [(500, 20500)] * 2 and len(messages_api.bodies_to(NUMBER)) == 1


def test_a_permanent_error_is_recorded_not_retried(sending, flows_dir, messages_api):
    app = subscribed_and_due(sending, flows_dir)
    messages_api.answer(400, 21211)
    run_worker(app)
    assert messages_api.refused == [(400, 21211)] and messages_api.received == []
    services = app.extensions["rightsline"]
    counts = services.redis.hgetall(f"rl:c:{real_now().strftime('%Y-%m-%d')}")
    assert counts[b"reminder|en|failed:21211 invalid number"] == b"1"


def test_a_reminder_still_failing_after_every_retry_is_kept_as_failed_without_the_number(
        sending, flows_dir, messages_api):
    app = subscribed_and_due(sending, flows_dir)
    messages_api.answer(503, 20503, times=10)
    run_worker(app)
    assert len(messages_api.refused) == 4  # the first try and three retries
    services = app.extensions["rightsline"]
    queue = reminder_queue(services.redis)
    (job_id,) = FailedJobRegistry(queue=queue).get_job_ids()
    job = queue.fetch_job(job_id)
    error = job.latest_result().exc_string
    assert "Twilio answered 503 (code 20503)" in error and "5055550123" not in error


# ---------------------------------------------------------------- keeping in step with events.yaml


def test_a_moved_event_moves_its_reminders_and_a_removed_one_cancels_them(sending, flows_dir):
    event = future_event()
    write_events(flows_dir, event)
    app = app_at(sending, real_now())
    ask_for_reminder(app.test_client(), NUMBER)
    services = app.extensions["rightsline"]
    registry = ScheduledJobRegistry(queue=reminder_queue(services.redis))
    before = sorted(registry.get_scheduled_time(job) for job in registry.get_job_ids())

    write_events(flows_dir, {**event, "start": event["start"] + timedelta(days=1)})
    moved = Reminders(services.settings, flow.load(flows_dir), services.redis).sync(real_now())
    assert moved == {"kept": 0, "moved": 2, "dropped": 0}
    after = sorted(registry.get_scheduled_time(job) for job in registry.get_job_ids())
    assert [b - a for a, b in zip(before, after, strict=True)] == [timedelta(days=1)] * 2

    write_events(flows_dir, future_event("something_else"))
    dropped = Reminders(services.settings, flow.load(flows_dir), services.redis).sync(real_now())
    assert dropped == {"kept": 0, "moved": 0, "dropped": 2}
    assert registry.get_job_ids() == [] and not list(services.redis.scan_iter("rl:r:*"))


def test_a_reminder_overdue_past_the_lateness_is_dropped_not_sent_late(sending, flows_dir, messages_api):
    now = real_now()
    write_events(flows_dir, {"id": "late", "start": now + timedelta(minutes=20)})
    app = app_at(sending, now - timedelta(minutes=60))  # subscribed an hour ago; the worker was down since
    ask_for_reminder(app.test_client(), NUMBER)
    assert len(scheduled(app)) == 1  # due 40 minutes ago, more than the 30 allowed
    run_worker(app)
    assert messages_api.received == []
    assert scheduled(app) == []


def test_sync_drops_what_the_worker_would_send_too_late(sending, flows_dir):
    now = real_now()
    write_events(flows_dir, {"id": "late", "start": now + timedelta(minutes=20)})
    app = app_at(sending, now - timedelta(minutes=60))
    ask_for_reminder(app.test_client(), NUMBER)
    services = app.extensions["rightsline"]
    assert Reminders(services.settings, services.flows, services.redis).sync(now)["dropped"] == 1


# ---------------------------------------------------------------- the job itself


def test_a_job_holds_the_number_only_encrypted_under_an_id_that_reveals_nothing(sending, flows_dir):
    write_events(flows_dir, future_event())
    app = app_at(sending, real_now())
    ask_for_reminder(app.test_client(), NUMBER)
    services = app.extensions["rightsline"]
    job = reminder_queue(services.redis).fetch_job(scheduled(app)[0])
    (payload,) = job.args
    assert NUMBER not in str(payload) and job.description == "reminder" and job.result_ttl == 0
    assert reminders.cipher(services.settings).decrypt(payload["to"].encode()).decode() == NUMBER
    assert job.id.startswith("reminder-") and "later_webinar" not in job.id


def test_a_rotated_key_still_reads_reminders_made_before_the_rotation(sending, flows_dir):
    from cryptography.fernet import Fernet

    from bot import config

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = {name: value for name, value in sending.items() if name != "clock"}
    before = config.load({**settings, "reminder_keys": (old_key,)})
    token = reminders.cipher(before).encrypt(NUMBER.encode())
    after = config.load({**settings, "reminder_keys": (new_key, old_key)})
    assert reminders.cipher(after).decrypt(token).decode() == NUMBER


# ---------------------------------------------------------------- by phone


def test_a_reminder_asked_for_by_phone_is_texted_to_the_calling_number(sending, flows_dir, messages_api):
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at(sending, subscribe_at)
    caller = make_caller(app.test_client(), NUMBER)
    call_in(caller, "es")
    assert "Para Test webinar, " in caller.press("3").text  # the event's option, spoken
    assert "Para Recibir un recordatorio por texto, oprima 1." in caller.press("1").text
    heard = caller.press("1")
    assert "Listo. Le enviaremos un recordatorio el" in heard.text
    run_worker(app)
    (message,) = messages_api.received
    assert message.to == NUMBER and message.body.startswith("Recordatorio de Línea de Derechos: Test webinar")


def test_a_reminder_is_not_taken_by_phone_from_a_number_outside_the_us(sending, flows_dir):
    write_events(flows_dir, future_event())
    app = app_at(sending, real_now())
    caller = make_caller(app.test_client(), "+447700900123")
    call_in(caller, "en")
    caller.press("3")
    caller.press("1")
    assert "only send text messages to U.S. phone numbers" in caller.press("1").text
    assert scheduled(app) == []


def test_a_script_asked_for_by_phone_arrives_by_text_in_the_callers_language(sending, flows_dir, messages_api):
    app = app_at(sending, real_now())
    caller = make_caller(app.test_client(), NUMBER)
    call_in(caller, "es")
    caller.press("1")
    caller.press("1")
    caller.press("2")
    run_worker(app)
    (message,) = messages_api.received
    assert message.to == NUMBER and message.body == translator(app).text("es", "rights:door")


def test_a_burst_releases_every_due_reminder_not_just_rqs_first_thousand(redis_client):
    """RQ's scheduler moves 1,000 due jobs a pass; `worker.py --burst` must send all that are due."""
    from datetime import UTC, datetime

    queue = reminder_queue(redis_client)
    past = datetime.now(UTC) - timedelta(minutes=1)
    pipe = redis_client.pipeline()
    for index in range(1_100):
        queue.enqueue_at(past, "bot.delivery.send_reminder", {}, job_id=f"due-{index}", description="reminder",
                         pipeline=pipe)
    pipe.execute()
    assert reminders.release_due(redis_client)
    assert len(queue) == 1_100 and ScheduledJobRegistry(queue=queue).count == 0
