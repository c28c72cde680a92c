"""Abuse: no one can make the line text strangers without limit (issue 13). The texts the line starts itself
("text me" on a call, reminders) go only to U.S. numbers, at most RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY to a
number, RIGHTSLINE_TEXTS_PER_CALL in a call, and RIGHTSLINE_DAILY_TEXT_BUDGET for the whole line a day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from rq.registry import ScheduledJobRegistry
from werkzeug.test import EnvironBuilder

from bot import config
from bot.chat import WebhookPhone
from bot.reminders import reminder_queue
from bot.web import create_app
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, FROZEN_NOW, call_in, make_caller, spoken
from tests.reminder_helpers import (
    app_at,
    ask_for_reminder,
    due_now_event,
    future_event,
    real_now,
    run_worker,
    write_events,
)

QUEUE = "rq:queue:reminders"


def a_call(client, number: str, call: str = "1"):
    caller = make_caller(client, number)
    caller.CALL = {**caller.CALL, "CallSid": "CA" + call.rjust(32, "0")}
    return caller


def press_two_after_a_script(caller) -> str:
    """Call, hear the door script in English, and press 2 (text it to me): what the caller hears then."""
    call_in(caller, "en")
    caller.press("1")
    caller.press("1")
    return caller.press("2").text


def limits_counted(redis_client, name: str, day: datetime = FROZEN_NOW) -> int:
    day = day.astimezone(UTC).strftime("%Y-%m-%d")
    return int(redis_client.hget(f"rl:c:{day}", f"limits|-|{name}") or 0)


@pytest.fixture
def limited(overrides, shipped_flows):
    def build(**limits):
        return create_app({**overrides, "flows": shipped_flows, **limits}).test_client()
    return build


def test_one_caller_pressing_two_again_and_again_gets_two_texts_then_hears_texts_are_paused(limited, redis_client,
                                                                                             caplog):
    client = limited()
    caller = a_call(client, "+15055550123")
    assert spoken("en", "system:voice_text_sent") in press_two_after_a_script(caller)
    heard = [caller.press("2").text for _ in range(19)]
    assert redis_client.llen(QUEUE) == 2  # RIGHTSLINE_TEXTS_PER_CALL, by default 2
    assert spoken("en", "system:voice_texts_paused") in heard[-1]
    assert spoken("en", "system:voice_after_script") in heard[-1]  # the call goes on
    assert "RIGHTSLINE_TEXTS_PER_CALL" in caplog.text and "5550123" not in caplog.text
    assert limits_counted(redis_client, "call") == 18


def test_a_number_gets_at_most_its_daily_texts_however_many_calls_it_makes(limited, redis_client):
    client = limited(texts_per_call=5, texts_per_number_per_day=3)
    for call in range(5):
        press_two_after_a_script(a_call(client, "+15055550123", str(call)))
    assert redis_client.llen(QUEUE) == 3
    assert limits_counted(redis_client, "number") == 2


def test_many_spoofed_caller_ids_stop_at_the_lines_daily_budget(limited, redis_client):
    client = limited(daily_text_budget=5)
    heard = [press_two_after_a_script(a_call(client, f"+1505555{index:04d}", str(index))) for index in range(12)]
    assert redis_client.llen(QUEUE) == 5
    assert all(spoken("en", "system:voice_texts_paused") in text for text in heard[5:])
    assert limits_counted(redis_client, "budget") == 7


def test_a_replayed_text_me_request_queues_no_more_than_the_calls_limit(limited, redis_client):
    client = limited()
    caller = a_call(client, "+15055550123")
    call_in(caller, "en")
    caller.press("1")
    at_the_script = caller.press("1").action
    for _ in range(5):  # the very same signed request, sent again and again
        caller._go(at_the_script, {"Digits": "2"})
    assert redis_client.llen(QUEUE) == 2


@pytest.mark.parametrize("number", ["+18765550123", "+18095550123", "+13455550123", "+14165550123"],
                         ids=["Jamaica", "Dominican Republic", "Cayman Islands", "Canada"])
def test_plus_one_is_not_enough_a_text_goes_only_to_a_us_number(limited, redis_client, number):
    heard = press_two_after_a_script(a_call(limited(), number))
    assert spoken("en", "system:voice_text_us_only") in heard
    assert redis_client.llen(QUEUE) == 0


@pytest.mark.parametrize("number", ["+447700900123", "+2348031234567", "+8801712345678", "+18765550123"])
def test_a_reminder_is_not_taken_by_text_from_a_number_outside_the_us(sending, flows_dir, redis_client, number):
    write_events(flows_dir, future_event())
    app = app_at(sending, real_now())
    reply = ask_for_reminder(app.test_client(), number)
    assert reply.startswith("Sorry, we can send reminders only to U.S. phone numbers.")
    assert ScheduledJobRegistry(queue=reminder_queue(redis_client)).count == 0


def test_reminder_sign_ups_by_text_count_against_the_numbers_day(sending, flows_dir, redis_client):
    write_events(flows_dir, future_event())
    app = app_at({**sending, "texts_per_number_per_day": 2}, real_now())
    replies = [ask_for_reminder(app.test_client(), "+15055550123") for _ in range(3)]
    assert replies[0].startswith("Done.") and replies[1].startswith("Done.")
    assert replies[2].startswith("Sorry, we cannot send text reminders right now.")


def test_a_reminder_due_when_the_days_budget_is_spent_is_not_sent_and_is_counted(sending, flows_dir, messages_api,
                                                                                   redis_client, caplog):
    caplog.set_level(logging.INFO)
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at({**sending, "daily_text_budget": 0}, subscribe_at)
    assert ask_for_reminder(app.test_client(), "+15055550123").startswith("Done.")
    run_worker(app)
    assert messages_api.received == []
    assert "dropped:daily text budget reached" in caplog.text and "5550123" not in caplog.text
    assert limits_counted(redis_client, "budget", datetime.now(UTC)) == 1  # the worker keeps real time


def test_each_limit_is_a_setting_with_its_default():
    defaults = config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32})
    assert (defaults.texts_per_number_per_day, defaults.texts_per_call, defaults.daily_text_budget) == (3, 2, 1000)
    changed = config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                                   "RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY": "5", "RIGHTSLINE_TEXTS_PER_CALL": "1",
                                   "RIGHTSLINE_DAILY_TEXT_BUDGET": "200"})
    assert (changed.texts_per_number_per_day, changed.texts_per_call, changed.daily_text_budget) == (5, 1, 200)
    with pytest.raises(config.ConfigError, match="RIGHTSLINE_DAILY_TEXT_BUDGET"):
        config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                             "RIGHTSLINE_DAILY_TEXT_BUDGET": "lots"})


# ---------------------------------------------------------------- bodies and signatures

def test_the_longest_text_twilio_can_send_with_ten_photos_is_answered(client):
    form = {"From": "+15055550123", "To": "+15055550000", "MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT_SID,
            "Body": ("Tôi cần giúp đỡ, ICE đang ở cửa nhà tôi " * 60)[:1600], "NumMedia": "10",
            **{f"MediaUrl{index}": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
                                   f"MM{'2' * 32}/Media/ME{str(index) * 32}" for index in range(10)},
            **{f"MediaContentType{index}": "image/jpeg" for index in range(10)}}
    phone = WebhookPhone(AUTH_TOKEN, form["From"], client=client)  # signs it as Twilio would
    xml = phone.post("/sms", form)
    assert phone.last_status == 200 and "<Message>" in xml


def test_a_body_over_64_kb_is_refused_and_never_read_past_64_kb_even_when_chunked(client):
    big = b"Body=" + b"a" * (64 * 1024)
    assert client.post("/sms", data=big, content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": "forged"}).status_code == 413  # by its Content-Length, unread

    environ = EnvironBuilder("/sms", method="POST", content_type="application/x-www-form-urlencoded",
                             headers={"X-Twilio-Signature": "forged"}).get_environ()
    del environ["CONTENT_LENGTH"]  # as gunicorn gives a chunked body: no length, the stream ends where it ends
    endless = _Stream(b"a" * 1024 for _ in range(64 * 1024))  # 64 MB, as the attack sent
    environ.update({"wsgi.input": endless, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    statuses = []
    client.application(environ, lambda status, _headers, *_: statuses.append(status))
    assert statuses[0][:3] in ("403", "413")
    assert endless.taken <= 64 * 1024 + 1024  # one chunk past the limit at most, never the 64 MB


class _Stream:
    """A request body arriving in parts, counting how much of it the app took."""

    def __init__(self, parts):
        self.parts, self.buffer, self.taken = iter(parts), b"", 0

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            try:
                part = next(self.parts)
                self.buffer += part
                self.taken += len(part)
            except StopIteration:
                break
        taken, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        return taken

    def readline(self, size=-1):
        return self.read(size)


def test_a_request_without_a_signature_is_refused_before_its_body_is_read(client):
    class Untouchable:
        def read(self, *_args):
            raise AssertionError("the body of an unsigned request was read")
        readline = read
    response = client.post("/sms", environ_overrides={"wsgi.input": Untouchable(), "CONTENT_LENGTH": "10"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403


@pytest.mark.parametrize("env", ["test", "production"])
def test_the_web_app_never_starts_without_a_real_auth_token(overrides, env):
    with pytest.raises(config.ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app({**overrides, "env": env, "twilio_auth_token": ""})
