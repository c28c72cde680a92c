"""People will send a photo of a warrant or a notice. The line says, in their language, that it cannot read
pictures and how to tell a judge's warrant from an ICE form; the worker deletes the pictures from Twilio."""

from __future__ import annotations

import secrets

from bot.chat import WebhookPhone, message_text
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, TRANSLATOR
from tests.reminder_helpers import app_at, real_now, run_worker

NUMBER = "+15055550123"


def with_pictures(device: WebhookPhone, body: str, count: int) -> tuple[str, str, list[str]]:
    """A text with `count` pictures, as Twilio posts it; returns (reply, message SID, media SIDs)."""
    message = "MM" + secrets.token_hex(16)
    media = ["ME" + secrets.token_hex(16) for _ in range(count)]
    form = {"From": device.number, "To": "+15055550000", "Body": body, "MessageSid": message,
            "AccountSid": ACCOUNT_SID, "NumMedia": str(count),
            **{f"MediaUrl{index}": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message}"
                                   f"/Media/{sid}" for index, sid in enumerate(media)},
            **{f"MediaContentType{index}": "image/jpeg" for index in range(count)}}
    return message_text(device.post("/sms", form)), message, media


def test_a_photo_as_a_first_text_is_answered_with_how_to_read_a_warrant(sending):
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app_at(sending, real_now()).test_client())
    reply, _message, _media = with_pictures(device, "", 1)
    assert reply.startswith(TRANSLATOR.text("en", "system:photo"))
    assert "signed by a judge" in reply


def test_a_photo_mid_conversation_is_answered_in_the_persons_language(sending):
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app_at(sending, real_now()).test_client())
    device.send("hola")
    reply, _message, _media = with_pictures(device, "que es esto??", 2)
    assert reply.startswith(TRANSLATOR.text("es", "system:photo"))


def test_a_photo_with_words_in_vietnamese_is_answered_in_vietnamese(sending):
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app_at(sending, real_now()).test_client())
    reply, _message, _media = with_pictures(device, "họ đưa tôi tờ giấy này, có phải lệnh không", 1)
    assert reply.startswith(TRANSLATOR.text("vi", "system:photo"))


def test_stop_with_a_photo_still_stops(sending):
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app_at(sending, real_now()).test_client())
    device.send("hi")
    reply, _message, _media = with_pictures(device, "STOP", 1)
    assert reply == TRANSLATOR.text("en", "system:stopped")


def test_the_worker_deletes_every_picture_from_twilio_and_keeps_nothing_of_them(sending, messages_api, redis_client):
    app = app_at(sending, real_now())
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app.test_client())
    _reply, message, media = with_pictures(device, "", 3)
    run_worker(app)
    assert sorted(messages_api.deleted_media) == sorted((message, sid) for sid in media)
    assert not messages_api.received  # deleting is all it did: nobody was texted
    stored = " ".join(str(key) + str(redis_client.dump(key)) for key in redis_client.scan_iter("*"))
    assert not any(sid in stored for sid in (message, *media))


def test_a_picture_already_gone_is_no_failure_and_only_twilios_own_addresses_are_deleted(sending, messages_api):
    app = app_at(sending, real_now())
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app.test_client())
    message = "MM" + secrets.token_hex(16)
    form = {"From": NUMBER, "To": "+15055550000", "Body": "", "MessageSid": message, "AccountSid": ACCOUNT_SID,
            "NumMedia": "2", "MediaUrl0": "https://evil.example/2010-04-01/Accounts/x/Messages/y/Media/z",
            "MediaUrl1": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message}/Media/ME"
                         + "a" * 32}
    device.post("/sms", form)
    messages_api.deleted_media.append((message, "ME" + "a" * 32))  # deleted already (by hand, in the console)
    run_worker(app)
    assert messages_api.deleted_media == [(message, "ME" + "a" * 32)]


def test_more_after_a_photo_pages_the_photos_answer_to_its_end(sending):
    device = WebhookPhone(AUTH_TOKEN, NUMBER, client=app_at(sending, real_now()).test_client())
    pages = [with_pictures(device, "", 1)[0]]
    while "Reply MORE" in pages[-1] and len(pages) < 5:
        pages.append(device.send("MORE"))
    whole = "\n".join(pages)
    assert "call a lawyer" in whole  # the warrant script's last sentence
    assert "STOP ends texts" in whole  # and, on a first text, what the line is and how to stop
    assert "That was all" not in whole
