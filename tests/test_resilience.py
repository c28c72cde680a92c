"""When Redis is down the webhook still answers fast; two texts at once from one person run in order."""

from __future__ import annotations

import socket
import threading
import time

from bot import engine
from bot.web import create_app
from tests.helpers import make_phone


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
