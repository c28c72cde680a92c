"""The phone channel: the same flows spoken through Twilio <Gather>, by keypad and speech, in each language's voice.
Where the caller is travels in the signed action URL, so a call needs no session and works while Redis is down."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot import engine, match
from bot.engine import ForgetRequested, OptOutRequested, Say, State, TextRequested, Turn
from bot.flow import Flows
from bot.i18n import Translator

PATH = "/voice"
MAX_SILENCES = 2  # a silent caller is asked again twice, then told the help lines and goodbye
GATHER_SECONDS = 6
MAX_HISTORY_IN_URL = 10
# The keys that work everywhere on a call.
REPEAT, MENU, BACK, LANGUAGE = "*", "0", "9", "#"
# After a script (a node with no choices): hear it again, or get it by text.
AGAIN, BY_TEXT = "1", "2"
# Phrases written for a text message that the phone says differently, or not at all (None).
SPOKEN = {
    "system:pick": None,
    "system:welcome": "system:voice_welcome",
    "system:help": "system:voice_keys",
    "system:unknown": "system:voice_not_option",
    "system:empty": "system:voice_silence",
    "system:event_pick": "system:voice_event_pick",
    "system:hotline_item": "system:voice_hotline",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")  # a Say per sentence: the caller hears a breath between them


@dataclass(frozen=True)
class Position:
    """Where a call is: choosing a language, or at a node in a language (with the way back)."""

    stage: str = "start"  # start | language | node
    state: State | None = None
    silences: int = 0

    def url(self, silent: bool = False) -> str:
        query: dict[str, object] = {"s": self.stage}
        if self.state is not None:
            query.update(n=self.state.node, l=self.state.lang)
            if self.state.history:
                query["h"] = ",".join(self.state.history[-MAX_HISTORY_IN_URL:])
            if self.state.item:
                query["i"] = self.state.item
        if self.silences:
            query["t"] = self.silences
        if silent:
            query["q"] = 1
        return f"{PATH}?{urlencode(query, safe=':,')}"

    @classmethod
    def parse(cls, args: Mapping[str, str], flows: Flows) -> Position:
        """The position from a URL's query; anything that no longer fits the flows starts the call over."""
        stage = args.get("s", "start")
        try:
            silences = max(0, min(int(args.get("t", 0)), MAX_SILENCES + 1))
        except ValueError:
            silences = 0
        if stage == "language":
            return cls("language", None, silences)
        if stage != "node":
            return cls()
        saved = {"n": args.get("n", ""), "l": args.get("l", ""), "h": [h for h in args.get("h", "").split(",") if h]}
        if args.get("i"):
            saved["i"] = args["i"]
        state = State.from_dict(saved, flows)
        return cls("node", state, silences) if state else cls()


# An effect carried out at the edge answers how it went: "done", "us_only" or "failed".
Act = Callable[[object], str]


class Call:
    """One request of a call: what the caller pressed or said at a position, and what they hear next."""

    def __init__(self, flows: Flows, vocabulary: engine.Vocabulary, translator: Translator, now: datetime):
        self.flows = flows
        self.vocabulary = vocabulary
        self.translator = translator
        self.now = now
        enabled = flows.enabled_languages
        self.voiced = [code for code in enabled if flows.languages[code].voice]
        self.text_only = [code for code in enabled if not flows.languages[code].voice]
        self.turn: Turn | None = None  # the engine's turn, kept for counting use

    # ------------------------------------------------------------ deciding

    def answer(self, position: Position, digits: str, speech: str, silent: bool, act: Act) -> str:
        digits, speech = (digits or "").strip(), (speech or "").strip()
        if position.stage == "start":
            return self._start()
        if silent or not (digits or speech):
            return self._silence(position)
        if position.stage == "language":
            return self._pick_language(position, digits, speech)
        return self._at_node(position, position.state, digits, speech, act)

    def _start(self) -> str:
        first = self.voiced[0] if self.voiced else "en"
        if len(self.voiced) <= 1:  # nothing to choose: straight to the menu
            turn = engine.main_menu(self.flows, first, self.now, event="welcome")
            return self._speak(replace(turn, says=(Say.of("system:voice_welcome"), *self._text_only(first),
                                                   Say.of("system:voice_keys"), *turn.says)))
        return self._language_choice(Position("language"), (Say.of("system:voice_welcome", lang=first),))

    def _silence(self, position: Position) -> str:
        silences = position.silences + 1
        lang = position.state.lang if position.state else (self.voiced[0] if self.voiced else "en")
        if silences > MAX_SILENCES:
            return self._goodbye(lang)
        heard = (Say.of("system:voice_silence", lang=lang),)
        if position.stage == "language":
            return self._language_choice(Position("language", None, silences), heard)
        turn = engine.brief(self.flows, position.state, "system:voice_silence", self.now, event="silence")
        return self._speak(turn, silences)

    def _pick_language(self, position: Position, digits: str, speech: str) -> str:
        chosen = None
        if digits:
            chosen = next((o.language for o in self._language_options() if o.key == digits), None)
        elif speech:
            said = match.normalize(speech)
            chosen = self.vocabulary.language_names.get(said) or self.vocabulary.greetings.get(said)
            for word in said.split():
                chosen = chosen or self.vocabulary.language_names.get(word) or self.vocabulary.greetings.get(word)
        if chosen not in self.voiced:
            first = self.voiced[0]
            wrong = () if digits in (REPEAT, LANGUAGE) else (Say.of("system:voice_not_option", lang=first),)
            return self._language_choice(Position("language"), wrong)
        turn = engine.main_menu(self.flows, chosen, self.now, event="language")
        return self._speak(replace(turn, says=(Say.of("system:voice_keys"), *turn.says)))

    def _at_node(self, position: Position, state: State, digits: str, speech: str, act: Act) -> str:
        if digits == LANGUAGE:
            return self._language_choice(Position("language"), ())
        if digits == REPEAT:
            return self._speak(engine.repeat(self.flows, state, self.now))
        if digits == MENU:
            return self._speak(engine.command(self.flows, state, "menu", self.now))
        if digits == BACK:
            return self._speak(engine.command(self.flows, state, "back", self.now))
        script = not engine.options_at(self.flows, state, self.now)
        if script and digits == AGAIN:
            return self._speak(engine.repeat(self.flows, state, self.now))
        if script and digits == BY_TEXT:
            outcome = act(TextRequested(state.node, state.lang, state.item))
            return self._speak(engine.brief(self.flows, state, self._sent_phrase(outcome), self.now, "text"))
        if digits and (len(digits) != 1 or not digits.isdigit()):
            return self._speak(engine.brief(self.flows, state, "system:voice_not_option", self.now))
        turn = engine.step(self.flows, self.vocabulary, state, digits or speech, self.now)
        if turn.state is None or any(isinstance(e, OptOutRequested | ForgetRequested) for e in turn.effects):
            # STOP and FORGET are for texts; a word heard on a call never unsubscribes anybody.
            return self._speak(engine.brief(self.flows, state, "system:voice_not_option", self.now))
        says = list(turn.says)
        for effect in turn.effects:
            outcome = act(effect)
            if outcome != "done":
                says = [Say.of(self._sent_phrase(outcome))]
        return self._speak(replace(turn, says=tuple(says), effects=()))

    @staticmethod
    def _sent_phrase(outcome: str) -> str:
        return {"done": "system:voice_text_sent", "us_only": "system:voice_text_us_only"}.get(
            outcome, "system:voice_text_failed")

    def _language_options(self):
        return [o for o in self.flows.nodes[self.flows.language_node].options if o.language in self.voiced]

    # ------------------------------------------------------------ speaking

    def _voice(self, lang: str) -> dict:
        language = self.flows.languages.get(lang)
        if language is None or not language.voice:
            language = self.flows.languages[self.voiced[0] if self.voiced else "en"]
        attributes = {"voice": language.voice} if language.voice else {}
        if language.voice_language:
            attributes["language"] = language.voice_language
        return attributes

    def _say(self, target, lang: str, say: Say) -> None:
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
                target.say(sentence.strip(), **self._voice(spoken_lang))
        target.pause(length=1)

    def _gather(self, response: VoiceResponse, position: Position, lang: str, hints: list[str]) -> Gather:
        language = self.flows.languages.get(lang)
        speech = language.speech if language else None
        attributes = {"input": "dtmf speech" if speech else "dtmf", "num_digits": 1, "timeout": GATHER_SECONDS,
                      "action": position.url(), "method": "POST", "action_on_empty_result": False}
        if speech:
            attributes.update(language=speech, speech_timeout="auto")
            if hints:
                attributes["hints"] = ", ".join(hints)
        return response.gather(**attributes)

    def _speak(self, turn: Turn, silences: int = 0) -> str:
        """A turn as a Gather that says it and offers its choices, and a Redirect for when nobody answers."""
        self.turn = turn
        state = turn.state
        response = VoiceResponse()
        position = Position("node", state, silences)
        labels = [self.translator.label(turn.lang, option.label) for option in turn.options]
        gather = self._gather(response, position, turn.lang, labels)
        for say in turn.says:
            self._say(gather, turn.lang, say)
        for option, label in zip(turn.options, labels, strict=True):
            self._say(gather, turn.lang, Say.of("system:voice_option", label=label, key=option.key))
        if not turn.options:
            self._say(gather, turn.lang, Say.of("system:voice_after_script"))
        response.redirect(Position("node", state, silences).url(silent=True), method="POST")
        return str(response)

    def _language_choice(self, position: Position, before: tuple[Say, ...]) -> str:
        """Each language offered in its own voice; one served only by text is named in the first voice."""
        response = VoiceResponse()
        first = self.voiced[0]
        names = [self.flows.languages[code].name for code in self.voiced]
        gather = self._gather(response, Position("language", None, position.silences), first, names)
        for say in before:
            self._say(gather, first, say)
        for option in self._language_options():
            self._say(gather, option.language, Say.of("system:voice_choose_language", lang=option.language,
                                                      key=option.key))
        for say in self._text_only(first):
            self._say(gather, first, say)
        response.redirect(Position("language", None, position.silences).url(silent=True), method="POST")
        return str(response)

    def _text_only(self, lang: str) -> tuple[Say, ...]:
        """Languages this line serves by text but cannot speak, named in a voice it has."""
        return tuple(Say.of("system:voice_text_only", lang=lang, language=self.flows.languages[code].name)
                     for code in self.text_only)

    def _goodbye(self, lang: str) -> str:
        """After silence upon silence: the help lines to call, then goodbye. Never a dead end."""
        response = VoiceResponse()
        self._say(response, lang, Say.of("system:voice_help_lines"))
        for hotline in self.flows.hotlines:
            self._say(response, lang, Say.of("system:voice_hotline", name=engine.Text(hotline.name),
                                             phone=hotline.phone))
        self._say(response, lang, Say.of("system:voice_goodbye"))
        response.hangup()
        return str(response)

    def error(self) -> str:
        """What a caller hears if answering failed: an apology, then the call starts over."""
        response = VoiceResponse()
        self._say(response, "en", Say.of("system:voice_error"))
        response.redirect(Position().url(), method="POST")
        return str(response)
