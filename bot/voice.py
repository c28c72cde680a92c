"""The phone channel's edge: a request's keys, words or silence as a typed input, and a Turn spoken as TwiML
(<Gather> by keypad and speech, in each language's voice). Where the call is travels in the signed action URL,
so a call needs no session and works while Redis is down. It renders; the engine decides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.flow import Flows
from bot.i18n import Translator
from bot.turn import Input, Keys, Say, Silence, Speech, State, Turn

PATH = "/voice"
GATHER_SECONDS = 6
MAX_HISTORY_IN_URL = 10  # keeps the URL short; BACK past ten steps lands on the menu
MAX_SILENCES_IN_URL = 9
# Phrases written for a text message that the phone says differently, or not at all (None).
SPOKEN = {
    "system:pick": None,
    "system:welcome": "system:voice_welcome",
    "system:help_hint": "system:voice_keys",  # on a call, HELP ends with the keys, not how to stop texts
    "system:unknown": "system:voice_not_option",
    "system:event_pick": "system:voice_event_pick",
    "system:hotline_item": "system:voice_hotline",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")  # a Say per sentence: the caller hears a breath between them
_NODE_ID = re.compile(r"^[\w-]+:[\w-]+$")


# ---------------------------------------------------------------- the request


def heard(args: Mapping[str, str], form: Mapping[str, str]) -> Input:
    """What the caller did, as Twilio relays it: keys, words, or nothing (the Redirect after a Gather)."""
    digits, speech = (form.get("Digits") or "").strip(), (form.get("SpeechResult") or "").strip()
    if args.get("q") == "1":
        return Silence()
    if digits:
        return Keys(digits)
    if speech:
        return Speech(speech)
    return Silence()


def url(state: State | None, silent: bool = False) -> str:
    """The engine's State as the query of the next request's URL (one-letter keys: Twilio signs it whole)."""
    query: dict[str, object] = {}
    if state is not None and state.stage == "language":
        query["s"] = "language"
    elif state is not None:
        query.update(s=state.stage, n=state.node, l=state.lang)
        if state.history:
            query["h"] = ",".join(state.history[-MAX_HISTORY_IN_URL:])
        if state.item:
            query["i"] = state.item
    if state is not None and state.silences:
        query["t"] = state.silences
    if silent:
        query["q"] = 1
    return f"{PATH}?{urlencode(query, safe=':,')}" if query else PATH


def state_of(args: Mapping[str, str], flows: Flows) -> State | None:
    """The State a URL's query holds; None (the call starts over) for none, or one that does not fit the flows."""
    stage, silences = args.get("s", ""), args.get("t", "0")
    if not silences.isdigit() or int(silences) > MAX_SILENCES_IN_URL:
        return None
    if stage == "language":
        first = flows.voiced_languages[0] if flows.voiced_languages else "en"
        return State(flows.language_node, first, stage="language", silences=int(silences))
    if stage not in ("node", "clarify", "place"):
        return None
    history = tuple(args["h"].split(",")) if args.get("h") else ()
    if any(not _NODE_ID.match(node) for node in (args.get("n", ""), *history)):
        return None
    saved = {"n": args["n"], "l": args.get("l", ""), "h": history, "i": args.get("i"), "s": stage}
    state = State.from_dict(saved, flows)
    if state is None or state.history != history or state.item != saved["i"] or state.stage != stage:
        return None  # something in it was taken out of the flows: better to start over than guess
    return replace(state, silences=int(silences))


# ---------------------------------------------------------------- the answer


class Speaker:
    """Says things in the right voice: a message, sentence by sentence, in its language's Twilio voice."""

    def __init__(self, flows: Flows, translator: Translator):
        self.flows = flows
        self.translator = translator
        self.fallback = flows.voiced_languages[0] if flows.voiced_languages else "en"

    def voice(self, lang: str) -> dict:
        language = self.flows.languages.get(lang)
        if language is None or not language.voice:
            language = self.flows.languages[self.fallback]
        attributes = {"voice": language.voice} if language.voice else {}
        if language.voice_language:
            attributes["language"] = language.voice_language
        return attributes

    def say(self, target, lang: str, say: Say) -> None:
        """One thing said, sentence by sentence, in its language's voice, with a breath after it."""
        message_id = SPOKEN.get(say.id, say.id)
        if message_id is None:
            return
        if f"{message_id}/voice" in self.flows.strings:
            message_id = f"{message_id}/voice"  # the node's words for the phone
        spoken_lang = say.lang or lang
        text = self.translator.render(spoken_lang, replace(say, id=message_id, lang=spoken_lang))
        for sentence in _SENTENCE.split(text):
            if sentence.strip():
                target.say(sentence.strip(), **self.voice(spoken_lang))
        target.pause(length=1)

    def gather(self, response: VoiceResponse, state: State | None, lang: str, hints: list[str]) -> Gather:
        language = self.flows.languages.get(lang)
        speech = language.speech if language else None
        attributes = {"input": "dtmf speech" if speech else "dtmf", "num_digits": 1, "timeout": GATHER_SECONDS,
                      "action": url(state), "method": "POST", "action_on_empty_result": False}
        if speech:
            attributes.update(language=speech, speech_timeout="auto")
            if hints:
                attributes["hints"] = ", ".join(hints)
        return response.gather(**attributes)


def render(speaker: Speaker, turn: Turn) -> str:
    """A turn as TwiML: a Gather that says it and offers its choices, and a Redirect for when nobody answers;
    or, when the call ends, what is left to say and a Hangup."""
    response = VoiceResponse()
    if turn.hangup:
        for say in turn.says:
            speaker.say(response, turn.lang, say)
        response.hangup()
        return str(response)
    labels = [speaker.translator.render(turn.lang, choice.label) for choice in turn.options]
    gather = speaker.gather(response, turn.state, turn.lang, [*labels, *turn.hints])
    for say in turn.says:
        speaker.say(gather, turn.lang, say)
    for choice, label in zip(turn.options, labels, strict=True):
        speaker.say(gather, turn.lang, Say.of("system:voice_option", label=label, key=choice.key))
    response.redirect(url(turn.state, silent=True), method="POST")
    return str(response)


def apology(speaker: Speaker) -> str:
    """What a caller hears if answering failed: an apology, then the call starts over."""
    response = VoiceResponse()
    speaker.say(response, "en", Say.of("system:voice_error"))
    response.redirect(PATH, method="POST")
    return str(response)
