"""The Flask app Twilio calls: POST /sms checks the signature, runs one engine step, answers TwiML.
It keeps the session under a per-sender lock, carries out the turn's effects, and never logs a number."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from bot import config, engine, flow, reminders, sms, store, voice
from bot.engine import ForgetRequested, OptOutRequested, ReminderRequested, Say, State, TextRequested, Turn
from bot.i18n import Translator

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a request needs, built once by create_app and kept in app.extensions."""

    settings: config.Settings
    flows: flow.Flows
    translator: Translator
    vocabulary: engine.Vocabulary
    redis: redis.Redis
    sessions: store.Sessions
    reminders: reminders.Reminders
    validator: RequestValidator
    embedded: store.EmbeddedRedis | None = None
    clock: object = None  # a function returning now; tests freeze it

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)


def build_services(settings: config.Settings, clock=None) -> Services:
    flows = flow.load(settings.flows_dir)  # raises FlowError: a broken set is never served
    for warning in flows.warnings:  # served all the same; said once at start, as `flows check` says them
        log.warning("%s", warning)
    translator = Translator(flows, settings.translations_dir)
    vocabulary = engine.Vocabulary.build(flows, translator.text)
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = store.EmbeddedRedis(settings.instance_dir / "redis")
        url = embedded.url
    client = store.connect(url, settings.redis_timeout)
    return Services(settings, flows, translator, vocabulary, client, store.Sessions(client, settings.session_ttl),
                    reminders.Reminders(settings, flows, client), RequestValidator(settings.twilio_auth_token),
                    embedded, clock)


# ---------------------------------------------------------------- effects: one handler each


@dataclass(frozen=True)
class Person:
    """Who a turn's effects are for, for the length of one request: the number is never stored as is."""

    number: str
    sender: str  # HMAC(secret, number): the only name kept
    now: datetime


def _forget(services: Services, person: Person) -> None:
    services.sessions.delete(person.sender)
    services.reminders.cancel_all(person.sender)


def _schedule(services: Services, person: Person, effect: ReminderRequested) -> None:
    services.reminders.subscribe(person.number, person.sender, effect.event, effect.lang, person.now)


def _text(services: Services, person: Person, effect: TextRequested) -> None:
    services.reminders.text_now(person.number, person.sender, effect.node, effect.lang, effect.item)


EFFECT_HANDLERS = {
    OptOutRequested: lambda services, person, effect: _forget(services, person),
    ForgetRequested: lambda services, person, effect: _forget(services, person),
    ReminderRequested: _schedule,
    TextRequested: _text,
}


def carry_out(services: Services, person: Person | None, turn: Turn) -> None:
    for effect in turn.effects:
        if person is not None:
            EFFECT_HANDLERS[type(effect)](services, person, effect)


# ---------------------------------------------------------------- requests


def _signed(services: Services) -> bool:
    """Twilio signs the URL it called and the form it sent; behind a proxy that URL is PUBLIC_URL + path."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    # The query exactly as sent: Flask's request.url decodes escapes such as %3A, and the signature
    # covers the URL as Twilio wrote it.
    base = services.settings.public_url or request.root_url.rstrip("/")
    url = base + request.full_path.rstrip("?")
    return services.validator.validate(url, request.form.to_dict(flat=True), signature)


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _turn_for(services: Services, person: Person | None, text: str, now: datetime) -> Turn:
    """One step of the conversation, with the session loaded before and saved after."""
    flows = services.flows
    if person is None:
        turn = engine.step(flows, services.vocabulary, None, text, now)
        _count(services, now, "sms", turn)
        return turn
    with services.sessions.conversation(person.sender) as conversation:
        if not conversation.locked:
            log.warning("sms: a sender's lock was busy for %.0f s; answering without waiting", store.LOCK_WAIT)
        saved = conversation.saved
        state = State.from_dict(saved, flows) if saved else None
        turn = engine.step(flows, services.vocabulary, state, text, now)
        count = (now, "sms", turn.lang, turn.node or turn.event)
        new_state = turn.state.to_dict() if turn.state is not None else None
        if turn.effects:
            # The session is saved first; then effects run (a forget deletes what was just saved).
            if new_state is not None:
                services.sessions.save(person.sender, new_state)
            carry_out(services, person, turn)
            new_state = None
        conversation.finish(new_state, count)
    return turn


def _count(services: Services, now: datetime, channel: str, turn: Turn) -> None:
    try:
        services.sessions.count(now, channel, turn.lang, turn.node or turn.event)
    except redis.RedisError:
        pass  # a lost count is no reason to fail a reply, and a call goes on without Redis


def _person(services: Services, number: str, now: datetime) -> Person:
    return Person(number, store.sender_key(services.settings.secret, number), now)


def handle_sms(services: Services) -> Response:
    now = services.now()
    number = request.form.get("From", "")
    text = request.form.get("Body", "")
    person = _person(services, number, now) if number else None
    try:
        turn = _turn_for(services, person, text, now)
    except redis.RedisError as error:
        log.error("sms: Redis is unreachable (%s); answering with the main menu", type(error).__name__)
        turn = engine.main_menu(services.flows, "en", now, event="fallback")  # no memory of the conversation
    body = sms.render_text(services.translator, turn, services.settings.sms_segment_budget)
    log.info("sms: %s in %s at %s", turn.event, turn.lang, turn.node or "-")
    return _xml(sms.twiml(body))


# Texts go only to U.S. numbers from a call: the caller's ID is what Twilio gives, and may not be theirs
# to text abroad (or may be hidden).
US_NUMBER = re.compile(r"^\+1[2-9]\d{9}$")


def handle_voice(services: Services) -> Response:
    now = services.now()
    number = request.form.get("From", "")
    call = voice.Call(services.flows, services.vocabulary, services.translator, now)
    position = voice.Position.parse(request.args, services.flows)

    def act(effect) -> str:
        if not US_NUMBER.match(number):
            return "us_only"
        try:
            EFFECT_HANDLERS[type(effect)](services, _person(services, number, now), effect)
        except redis.RedisError as error:
            log.error("voice: Redis is unreachable (%s); the caller's text was not sent", type(error).__name__)
            return "failed"
        return "done"

    body = call.answer(position, request.form.get("Digits", ""), request.form.get("SpeechResult", ""),
                       request.args.get("q") == "1", act)
    turn = call.turn
    if turn is not None:
        _count(services, now, "voice", turn)
    log.info("voice: %s at %s", turn.event if turn else position.stage, (turn.node if turn else None) or "-")
    return _xml(body)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the whole app: settings, flows, translations, Redis. Nothing is built at import time."""
    overrides = dict(overrides or {})
    clock = overrides.pop("clock", None)
    settings = config.load(overrides)
    app = Flask(__name__)
    services = build_services(settings, clock)
    app.extensions["rightsline"] = services

    @app.post("/sms")
    def sms_webhook():
        if not _signed(services):
            abort(403)
        return handle_sms(services)

    @app.post("/voice")
    def voice_webhook():
        if not _signed(services):
            abort(403)
        return handle_voice(services)

    @app.get("/health")
    def health():
        try:
            services.redis.ping()
            redis_state = "ok"
        except redis.RedisError:
            redis_state = "unreachable"
        return {"status": "ok", "redis": redis_state, "languages": list(services.flows.enabled_languages)}

    @app.errorhandler(500)
    def server_error(_error):
        # Twilio shows a person nothing useful for a 500; a short apology and the menu word is better.
        log.error("unhandled error while answering %s", request.path)
        if request.path == "/sms":
            body = services.translator.render("en", Say.of("system:error"))
            return _xml(sms.twiml(body))
        if request.path == voice.PATH:
            return _xml(voice.Call(services.flows, services.vocabulary, services.translator, services.now()).error())
        return Response("error", status=500)

    return app
