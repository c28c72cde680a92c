"""When Redis is down the webhook still answers fast; two texts at once from one person run in order; a
crash while answering still gives Twilio an apology to read, not a 500."""

from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit
from xml.etree import ElementTree

from bot import engine, sms
from bot.web import create_app
from tests.helpers import TRANSLATOR, assert_no_number, make_caller, make_phone


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_main_menu_within_a_second(overrides, redis_url: str, text: str) -> None:
    app = create_app({**overrides, "redis_url": redis_url})
    phone = make_phone(app.test_client(), "+15055550123")
    started = time.monotonic()
    reply = phone(text)
    assert time.monotonic() - started < 1.0
    assert "1 Your rights" in reply


def test_with_redis_unreachable_the_webhook_answers_the_main_menu_within_a_second(overrides):
    assert_main_menu_within_a_second(overrides, f"redis://127.0.0.1:{closed_port()}/0", "1")


def test_with_redis_not_answering_the_webhook_still_answers_within_a_second(overrides):
    # A server that accepts the connection and then says nothing: the read timeout must save us.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        assert_main_menu_within_a_second(overrides, f"redis://127.0.0.1:{listener.getsockname()[1]}/0", "hola")
    finally:
        listener.close()


def test_two_texts_at_once_from_one_person_are_handled_one_after_the_other(app, redis_client, monkeypatch):
    """Both texts land; the second sees the state the first left (1 then 1: the door script)."""
    phone = make_phone(app.test_client(), "+15055550123")
    phone("hi")
    real_step = engine.step
    entered = threading.Event()

    def slow_step(*args):
        turn = real_step(*args)
        if not entered.is_set():
            entered.set()
            time.sleep(0.2)  # hold the lock while the second text arrives
        return turn

    monkeypatch.setattr(engine, "step", slow_step)
    replies = {}

    def text(name, body):
        replies[name] = make_phone(app.test_client(), "+15055550123")(body)

    first = threading.Thread(target=text, args=("first", "1"))
    first.start()
    entered.wait(2)
    second = threading.Thread(target=text, args=("second", "1"))
    second.start()
    first.join(5)
    second.join(5)
    assert "Where are you?" in replies["first"]
    assert "At your door" in replies["second"]


def test_a_redis_that_forgot_its_scripts_still_frees_every_lock(app, redis_client):
    """The lock is freed by EVALSHA; after a Redis restart the script is gone and the slow way is taken."""
    phone = make_phone(app.test_client(), "+15055550123")
    redis_client.script_flush()
    phone("hi")
    assert "Where are you?" in phone("1")
    assert not list(redis_client.scan_iter("rl:l:*"))


def test_a_turn_that_crashes_frees_its_lock_and_its_connection_and_the_next_text_is_answered(app, redis_client,
                                                                                             monkeypatch):
    """A turn holds one Redis connection from taking the lock to reading the save's answer; a bug between the
    two must neither keep the person locked out nor leave a connection with an unread answer in the pool."""
    services = app.extensions["rightsline"]
    phone = make_phone(app.test_client(), "+15055550123")
    phone("hi")
    real_lay_out = sms.render_text

    def crash_once(*args, **kwargs):
        monkeypatch.setattr(sms, "render_text", real_lay_out)
        raise RuntimeError("a bug in laying out the reply, after the save was sent")

    monkeypatch.setattr(sms, "render_text", crash_once)
    assert phone("1") == TRANSLATOR.text("en", "system:error")
    assert not list(redis_client.scan_iter("rl:l:*"))
    assert not services.redis.connection_pool._in_use_connections
    assert "At your door" in phone("1")  # the first "1" was saved before the crash: this one is the rights menu's
    assert not services.redis.connection_pool._in_use_connections


# ---------------------------------------------------------------- a crash (a bug, not Redis)

NUMBER = "+15055550123"


def assert_no_traceback(body: str) -> None:
    for sign in ("Traceback", "RuntimeError", "a bug in answering", 'File "'):
        assert sign not in body, body


def test_a_crash_while_answering_a_text_still_answers_the_apology(app, caplog, monkeypatch):
    assert not app.testing  # with TESTING on, Flask would raise the error here instead of answering it

    def crash(*_args, **_kwargs):
        raise RuntimeError("a bug in answering")

    monkeypatch.setattr(app.extensions["rightsline"].sessions, "conversation", crash)
    caplog.set_level(logging.DEBUG)
    phone = make_phone(app.test_client(), NUMBER)  # it asserts a 200
    reply = phone("hi")
    root = ElementTree.fromstring(phone.device.last_xml)
    assert root.tag == "Response" and [child.tag for child in root] == ["Message"]
    assert reply == TRANSLATOR.text("en", "system:error")
    assert_no_traceback(phone.device.last_xml)
    assert "RuntimeError" in caplog.text  # the crash is logged for the operator, without the number
    assert_no_number([NUMBER], caplog.text)


def test_a_crash_while_answering_a_call_apologizes_and_starts_the_call_over(app, caplog, monkeypatch):
    translator = app.extensions["rightsline"].translator
    real_render = translator.render
    calls = []

    def render_crashing_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("a bug in answering")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(translator, "render", render_crashing_once)
    caplog.set_level(logging.DEBUG)
    caller = make_caller(app.test_client(), NUMBER)
    heard = caller.dial()
    assert caller.last_status == 200 and len(calls) > 1  # it crashed, and the apology was rendered after
    root = ElementTree.fromstring(caller.last_xml)
    assert root.tag == "Response" and root.find("Gather") is None and not heard.hung_up
    assert heard.text == " ".join(TRANSLATOR.text("en", "system:voice_error").split())
    assert [child.tag for child in root][-1] == "Redirect"
    assert urlsplit(heard.on_silence).path == "/voice" and root.find("Redirect").get("method", "POST") == "POST"
    assert_no_traceback(caller.last_xml)
    assert_no_number([NUMBER], caplog.text)
