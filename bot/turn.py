"""The values the engine takes and gives, and nothing else: what a person sent, where they are, what to say
back and what to do. Renderers, translation and delivery import these, never the engine itself."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.flow import Flows


@dataclass(frozen=True)
class MessageRef:
    """A parameter that is itself a message (a place's name, an event's title), translated when rendered."""

    id: str


@dataclass(frozen=True)
class Say:
    """One thing to tell the person: a message id and its parameters; `lang` overrides the turn's."""

    id: str
    params: tuple[tuple[str, object], ...] = ()
    lang: str | None = None

    @classmethod
    def of(cls, message_id: str, lang: str | None = None, **params) -> Say:
        return cls(message_id, tuple(sorted(params.items())), lang)


@dataclass(frozen=True)
class Choice:
    """One thing the person can pick now, as every channel offers it: a key and what it is called."""

    key: str
    label: Say


# ---------------------------------------------------------------- what came in
# The typed inputs of one step. A text is a Message; a call brings keys, words heard, or nothing at all.


@dataclass(frozen=True)
class Message:
    """A text message, as typed, and how many pictures came with it (MMS)."""

    text: str
    photos: int = 0


@dataclass(frozen=True)
class Keys:
    """Keys pressed on a call (DTMF): one digit, `*` or `#`, or whatever a caller managed to send."""

    digits: str


@dataclass(frozen=True)
class Speech:
    """Words heard on a call, as Twilio's speech recognition wrote them down."""

    text: str


@dataclass(frozen=True)
class Silence:
    """A call where nothing was pressed or heard before the wait ran out."""


Input = Message | Keys | Speech | Silence


@dataclass(frozen=True)
class Facts:
    """What the edge knows that the engine cannot: whether this person can be texted (a call's caller ID
    may be foreign, hidden or not a phone), and whether their conversation can be remembered."""

    can_text: bool = True
    texts_paused: bool = False  # a limit on the texts the line starts is reached (bot/allowance.py)
    remembered: bool = True  # False: the session store is down, so nothing said now will be recalled
    # Twilio's opt-out handling already answered this text (its OptOutType: STOP, START or HELP).
    carrier_answered: str | None = None


TEXTABLE_AND_REMEMBERED = Facts()  # what a text conversation can count on while Redis is up


# ---------------------------------------------------------------- where the person is

# A call choosing its language is at the language stage; a text that asked to be forgotten waits for its yes.
# node: at a node; language: a call choosing its language; forget: asked to confirm a deletion;
# clarify: asked which of a few meanings (item: "node:rights:door|place:hospitals"); place: a place's answer (item).
STAGES = ("node", "language", "forget", "clarify", "place", "photo")


@dataclass(frozen=True)
class State:
    node: str
    lang: str
    history: tuple[str, ...] = ()
    page: int = 0
    item: str | None = None  # at an events node: the event being looked at
    stage: str = "node"
    silences: int = 0  # a call's silences in a row; the next one may end the call

    # One-letter keys: a session is kept per active person, and a call's state rides in every URL.
    def to_dict(self) -> dict:
        data: dict[str, object] = {"n": self.node, "l": self.lang, "h": list(self.history), "p": self.page}
        if self.item:
            data["i"] = self.item
        if self.stage != "node":
            data["s"] = self.stage
        return data

    @classmethod
    def from_dict(cls, data: dict, flows: Flows) -> State | None:
        """A saved state, or None when it no longer fits the flows (they changed since it was saved)."""
        try:
            state = cls(data["n"], data["l"], tuple(data.get("h", ())), int(data.get("p", 0)), data.get("i"),
                        data.get("s", "node"))
        except (KeyError, TypeError, ValueError):
            return None
        if state.stage not in STAGES:
            return None
        if state.node not in flows.nodes or state.lang not in flows.enabled_languages:
            return None
        if state.stage in ("clarify", "place"):
            if not state.item or not all(_exists(flows, meaning) for meaning in state.item.split("|")):
                state = replace(state, stage="node", item=None)  # what was asked about left the flows
            elif state.stage == "place" and state.item.startswith("node:"):
                state = replace(state, stage="node", item=None)
        elif state.stage == "photo":
            state = replace(state, item="first" if state.item == "first" else None)
        elif state.item is not None and flows.event(state.item) is None:
            state = replace(state, item=None)  # the event was taken out of events.yaml
        return replace(state, history=tuple(h for h in state.history if h in flows.nodes))


def _exists(flows: Flows, meaning: str) -> bool:
    kind, _, target = meaning.partition(":")
    return (kind == "node" and target in flows.nodes) or (kind == "place" and any(p.id == target for p in flows.places))


# ---------------------------------------------------------------- effects
# Facts the edge acts on after the step, for texts and calls alike. Each has exactly one handler.


@dataclass(frozen=True)
class OptOutRequested:
    """The person texted STOP (or another opt-out word): cancel everything pending for them."""


@dataclass(frozen=True)
class ForgetRequested:
    """The person asked to be forgotten: delete their session and anything pending."""


@dataclass(frozen=True)
class ReminderRequested:
    """The person asked to be texted before an event, in their language; asking twice changes nothing."""

    event_id: str
    lang: str


@dataclass(frozen=True)
class TextRequested:
    """A caller asked for what they just heard by text message, in their language."""

    node: str
    lang: str
    item: str | None = None


Effect = OptOutRequested | ForgetRequested | ReminderRequested | TextRequested
EFFECT_TYPES = (OptOutRequested, ForgetRequested, ReminderRequested, TextRequested)


# ---------------------------------------------------------------- what goes out


@dataclass(frozen=True)
class Turn:
    says: tuple[Say, ...]
    state: State | None  # None: keep nothing about this person (or, on a call, nothing more to ask)
    lang: str
    node: str | None = None  # the node whose menu is offered
    options: tuple[Choice, ...] = ()
    page: int = 0
    effects: tuple[Effect, ...] = ()
    outcome: str = "node"  # what happened, for aggregate counts: node, unknown, command:<name>, ...
    footer: bool = True  # offer the way back to the menu
    hints: tuple[str, ...] = ()  # words a call's speech recognition should expect, beyond the options
    hangup: bool = False  # a call ends after this is said
    # Said instead of `says` when the effects cannot be carried out (the queue is unreachable).
    if_effects_fail: tuple[Say, ...] = ()

    def effects_failed(self) -> Turn:
        """This turn as it must be told when its effects could not be carried out."""
        return replace(self, says=self.if_effects_fail or self.says, effects=(), outcome=f"{self.outcome}:failed")
