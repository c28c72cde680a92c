"""Anonymous by design: after whole conversations, no number appears in any Redis key or value, or in
any log line the app wrote."""

from __future__ import annotations

import logging
import re

import pytest

from tests.helpers import assert_no_number, call_in, everything_in_redis, make_caller, make_phone, variants

NUMBERS = ["+15055550123", "+15055551234", "+12125559876"]


def test_no_number_in_redis_or_logs_after_whole_conversations(client, redis_client, caplog):
    caplog.set_level(logging.DEBUG)
    scripts = [["hola", "1", "1", "mas", "ayuda", "idioma", "1", "2", "5", "hospital", "BORRAR"],
               ["hi", "2", "5", "school", "0", "4", "6", "1", "zzz", "", "back", "STOP", "START", "3"],
               ["PUERTA", "0", "6", "2", "more", "more", "forget", "hi", "1", "6"]]
    for number, script in zip(NUMBERS, scripts, strict=True):
        phone = make_phone(client, number)
        for text in script:
            phone(text)
    assert redis_client.dbsize() > 0  # the scan below is looking at something
    stored = everything_in_redis(redis_client)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for number in NUMBERS:
        for variant in variants(number):
            assert variant not in stored, f"{variant!r} found in Redis"
            assert variant not in logged, f"{variant!r} found in the logs"
    # Message text is not kept either.
    assert "hospital" not in stored and "zzz" not in stored


def test_the_session_key_is_a_keyed_hash_and_expires(client, redis_client, app):
    make_phone(client, NUMBERS[0])("hi")
    (key,) = list(redis_client.scan_iter("rl:s:*"))
    assert re.fullmatch(rb"rl:s:[0-9a-f]{64}", key)
    ttl = redis_client.ttl(key)
    assert 0 < ttl <= app.extensions["rightsline"].settings.session_ttl


def test_counts_are_per_day_node_and_language_only(client, redis_client):
    phone = make_phone(client, NUMBERS[1])
    for text in ("hi", "1", "1"):
        phone(text)
    counts = redis_client.hgetall("rl:c:2026-11-22")
    assert counts[b"sms|en|rights:door"] == b"1"
    assert all(field.count(b"|") == 2 for field in counts)


@pytest.mark.slow  # it runs `worker.py --burst` as a process, to read that process's log
def test_no_number_anywhere_after_reminders_are_asked_for_sent_and_failed(sending, flows_dir, messages_api,
                                                                          redis_client, caplog):
    from tests.reminder_helpers import (
        app_at,
        ask_for_reminder,
        due_now_event,
        future_event,
        run_worker,
        start_worker,
        write_events,
    )

    caplog.set_level(logging.DEBUG)
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event, future_event())
    app = app_at(sending, subscribe_at)
    client = app.test_client()
    for number in NUMBERS:
        ask_for_reminder(client, number, event_key="1")
    ask_for_reminder(client, NUMBERS[0], lang="es", event_key="2")  # one stays scheduled for days
    messages_api.answer(503, 20503, times=4, to=NUMBERS[1])  # fails for good after its three retries
    messages_api.answer(400, 21211, to=NUMBERS[2])  # refused outright
    run_worker(app)
    worker = start_worker(app, "--burst")  # the real process too, and its log
    worker_log, _ = worker.communicate(timeout=60)
    assert len(messages_api.received) == 1 and len(messages_api.refused) == 5  # all three were tried

    stored = everything_in_redis(redis_client)
    assert "rq:job:" in stored and "rq:failed:" in stored  # the scan saw the jobs, pending and failed
    assert "gAAAAA" in stored  # and read the encrypted numbers out of RQ's compressed job data
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert_no_number(NUMBERS, stored, logged, worker_log)


def test_no_number_anywhere_after_whole_calls(client, redis_client, caplog):
    caplog.set_level(logging.DEBUG)
    for number, keys in zip(NUMBERS, (["1", "1", "2", "*", "9"], ["2", "5", "2", "0", "4"], ["6", "1", "2"]),
                            strict=True):
        caller = make_caller(client, number)
        call_in(caller, "es" if number == NUMBERS[1] else "en")
        for key in keys:
            caller.press(key)
        caller.say("safe places")
        caller.silent()
    assert redis_client.llen("rq:queue:reminders") == 3  # the texts asked for wait for the worker, encrypted
    stored = everything_in_redis(redis_client)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert_no_number(NUMBERS, stored, logged)
