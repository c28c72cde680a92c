"""The webhooks Twilio calls, as a Flask blueprint: POST /sms and POST /voice (signed), GET /health.
Each view turns the request into a typed input, runs one engine step, carries out its effects, renders TwiML."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import replace
from datetime import datetime

import redis
from flask import Blueprint, Response, abort, current_app, request

from bot import engine, sms, store, voice
from bot.allowance import REPLAY
from bot.effects import Person, can_text, carry_out, carry_out_or_say_so
from bot.health import readiness
from bot.turn import Facts, Message, ReminderRequested, Say, State, TextRequested, Turn

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


def _services():
    return current_app.extensions["rightsline"]


def twilio_signed(view):
    """Refuse (403) a request Twilio did not sign. Behind a proxy the URL Twilio called is PUBLIC_URL + path.
    While the Auth Token is being changed, a signature by either TWILIO_AUTH_TOKEN or TWILIO_AUTH_TOKEN_SECONDARY
    is Twilio's."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        services = _services()
        signature = request.headers.get("X-Twilio-Signature", "")
        # The query exactly as sent: Flask's request.url decodes escapes such as %3A, and the signature
        # covers the URL as Twilio wrote it.
        base = services.settings.public_url or request.root_url.rstrip("/")
        url = base + request.full_path.rstrip("?")
        if not signature:
            abort(403)
        form = request.form.to_dict(flat=True)
        if not any(validator.validate(url, form, signature) for validator in services.validators):
            abort(403)
        return view(*args, **kwargs)

    return checked


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _person(number: str, now: datetime) -> Person | None:
    return Person.of(_services().settings.secret, number, now) if number else None


@bp.post("/sms")
@twilio_signed
def sms_webhook() -> Response:
    services = _services()
    now = services.now()
    media = _media(request.form)
    said = Message(request.form.get("Body", ""), photos=len(media))
    # On a number with Twilio's opt-out handling, Twilio has answered STOP, START and HELP itself.
    facts = Facts(carrier_answered=(request.form.get("OptOutType") or "").upper() or None)
    lay_out = functools.partial(sms.render_text, services.translator, budget=services.settings.sms_segment_budget)
    try:
        turn, body = _converse(services, _person(request.form.get("From", ""), now), said, now, facts, lay_out)
    except redis.RedisError as error:
        log.error("sms: Redis is unreachable (%s); answering without the conversation", type(error).__name__)
        turn = engine.step(services.flows, services.vocabulary, None, said, now, Facts(remembered=False))
        body = lay_out(turn)
    if media:
        _delete_media(services, request.form.get("MessageSid", ""), media)
    log.info("sms: %s in %s at %s", turn.outcome, turn.lang, turn.node or "-")
    return _xml(sms.twiml(body or None))


# Twilio's address of one picture sent to the line: only these are ever asked to be deleted.
_MEDIA_URL = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/AC[0-9a-f]{32}/Messages/(MM[0-9a-f]{32})/Media/"
                        r"(ME[0-9a-f]{32})")


def _media(form) -> list[str]:
    """The media SIDs of the pictures that came with a text (NumMedia, MediaUrl0...)."""
    try:
        count = min(int(form.get("NumMedia") or 0), 10)
    except ValueError:
        return []
    found = (_MEDIA_URL.fullmatch(form.get(f"MediaUrl{index}", "")) for index in range(count))
    return [match.group(2) for match in found if match]


def _delete_media(services, message: str, media: list[str]) -> None:
    """Pictures are kept by Twilio until deleted: the worker deletes them now. Nothing of them is kept here."""
    if not re.fullmatch(r"MM[0-9a-f]{32}", message):
        return
    try:
        services.reminders.delete_media(message, media)
    except redis.RedisError:
        log.error("sms: %d picture(s) could not be queued for deletion from Twilio (Redis unreachable)", len(media))


RECENT = 3  # texts a person's session remembers by name, to know a replay: Twilio retries the last one


def _converse(services, person: Person | None, said: Message, now: datetime, facts: Facts,
              lay_out) -> tuple[Turn, str | None]:
    """One step of a text conversation, with the session loaded before and saved after, under its lock; and the
    reply, laid out while Redis saves. A sender past their allowance is told once to wait, then answered with
    nothing (None) until it refills.

    A replayed text (Twilio's retry, or anyone resending a signed request) is answered as it was, from the state
    it was first answered from, with nothing saved and no second effect. The session keeps, under "r", the last
    few texts' names (a keyed hash of the MessageSid) and the state each was answered from: states, never words;
    erased with the session by FORGET and STOP."""
    flows = services.flows
    if person is None:
        turn = engine.step(flows, services.vocabulary, None, said, now, facts)
        _count(services, now, "sms", turn)
        return turn, lay_out(turn)
    always = bool(facts.carrier_answered) or engine.always_answered(services.vocabulary, said.text)
    with services.sessions.conversation(person.sender, now, always) as conversation:
        saved = dict(conversation.saved or {})
        recent = saved.pop("r", [])
        state = State.from_dict(saved, flows) if saved else None
        if conversation.past_allowance:
            if conversation.told:
                return engine.slow_down(state), None
            log.warning("sms: a sender passed %s replies at once; asked to wait", services.settings.sender_burst)
            _count_limit(services, now, "sender")
            turn = engine.slow_down(state)
            return turn, lay_out(turn)
        message = _message_name(services)
        seen = [before for name, before in recent if message and name == message]
        if seen:
            state = State.from_dict(seen[0], flows) if seen[0] else None
            turn = engine.step(flows, services.vocabulary, state, said, now, facts)
            log.warning("sms: a text seen before was answered again, with no second effect")
            return replace(turn, effects=(), outcome=f"{turn.outcome}:replay"), lay_out(turn)
        if not conversation.locked:
            log.warning("sms: a sender's lock was busy for %.0f s; answering without waiting", store.LOCK_WAIT)
        turn = engine.step(flows, services.vocabulary, state, said, now, facts)
        refused = _texts_refused(services, person, turn, now, facts)
        if refused:
            turn = engine.step(flows, services.vocabulary, state, said, now, refused)
        count = (now, "sms", turn.lang, turn.node or turn.outcome)
        new_state = turn.state.to_dict() if turn.state is not None else None
        if new_state is not None and message:
            new_state["r"] = [[message, saved or None], *recent][:RECENT]
        if turn.effects:
            # The session is saved first; then effects run (a forget deletes what was just saved).
            if new_state is not None:
                services.sessions.save(person.sender, new_state)
            carry_out(services, person, turn)
            new_state = None
        conversation.finish(new_state, count)
        body = lay_out(turn)
    return turn, body


def _message_name(services) -> str:
    """A keyed hash of what names this text for Twilio (its MessageSid, or the idempotency token Twilio sends with
    a retry), so that a replay is known without keeping anything Twilio could match to it. 64 bits: it is told
    apart only from the same person's last few texts."""
    name = request.form.get("MessageSid") or request.headers.get("I-Twilio-Idempotency-Token", "")
    return store.keyed_hash(services.settings.secret, name)[:16] if name else ""


@bp.post(voice.PATH)
@twilio_signed
def voice_webhook() -> Response:
    services = _services()
    now = services.now()
    number = request.form.get("From", "")
    state, said = voice.state_of(request.args, services.flows), voice.heard(request.args, request.form)
    turn = engine.step(services.flows, services.vocabulary, state, said, now)
    person = _person(number, now)
    if turn.effects:
        call = request.form.get("CallSid") or number
        # A call's position is its signed URL, and the keys pressed there: the same again is a replay.
        once = store.keyed_hash(services.settings.secret, f"{call} {request.full_path} {request.form.get('Digits')}")
        try:
            refused = _texts_refused(services, person, turn, now, Facts(), call=call, once=once)
        except redis.RedisError:
            refused = None  # carrying the text out fails the same way, and says so
        if refused is REPLAYED:
            turn = replace(turn, effects=())  # told as the first time; nothing sent again
        elif refused:
            turn = engine.step(services.flows, services.vocabulary, state, said, now, refused)
    if turn.effects:
        turn = carry_out_or_say_so(services, person, turn, "voice")
    _count(services, now, "voice", turn)
    log.info("voice: %s in %s at %s", turn.outcome, turn.lang, turn.node or "-")
    return _xml(voice.render(services.speaker, turn))


REPLAYED = Facts(texts_paused=True)  # what _texts_refused says of a request seen before


def _texts_refused(services, person: Person | None, turn: Turn, now: datetime, facts: Facts,
                   call: str | None = None, once: str | None = None) -> Facts | None:
    """`facts` with why the texts this turn would start cannot go, to take the step again with; None if they can;
    REPLAYED if this very request (`once`) asked before.
    Only such a turn pays for the checks: whether the number is a U.S. one (libphonenumber costs as much as a
    step), then the line's limits (bot/allowance.py). A reminder sign-up counts against the number's day; the
    line's budget is spent when a reminder is sent. A call's text is counted against all three now."""
    starting = [effect for effect in turn.effects if isinstance(effect, (ReminderRequested, TextRequested))]
    if not starting:
        return None
    if person is None or not can_text(person.number):
        return replace(facts, can_text=False)
    now_text = any(isinstance(effect, TextRequested) for effect in starting)
    limit = services.allowance.take(now, person.sender, call if now_text else None, budget=now_text, once=once)
    if limit == REPLAY:
        return REPLAYED
    return replace(facts, texts_paused=True) if limit else None


def _count_limit(services, now: datetime, name: str) -> None:
    try:
        services.sessions.count(now, "limits", "-", name)
    except redis.RedisError:
        pass


def _count(services, now: datetime, channel: str, turn: Turn) -> None:
    try:
        services.sessions.count(now, channel, turn.lang, turn.node or turn.outcome)
    except redis.RedisError:
        pass  # a lost count is no reason to fail a reply, and a call goes on without Redis


@bp.get("/health")
def alive():
    """Liveness: the web app answers, and says whether Redis does (it answers texts either way)."""
    services = _services()
    try:
        services.redis.ping()
        redis_state = "ok"
    except redis.RedisError:
        redis_state = "unreachable"
    return {"status": "ok", "redis": redis_state, "languages": list(services.flows.enabled_languages)}


@bp.get("/health/ready")
def ready():
    """503 unless Redis answers and a reminder worker has beaten in the last two minutes; counts, never numbers."""
    is_ready, report = readiness(_services().redis)
    return report, 200 if is_ready else 503


@bp.app_errorhandler(500)
def server_error(_error):
    # Twilio shows a person nothing useful for a 500; a short apology and the menu word is better.
    log.error("unhandled error while answering %s", request.path)
    services = _services()
    if request.path == "/sms":
        return _xml(sms.twiml(services.translator.render("en", Say.of("system:error"))))
    if request.path == voice.PATH:
        return _xml(voice.apology(services.speaker))
    return Response("error", status=500)
