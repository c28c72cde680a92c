"""Effects run at the edge, after the step, for texts and calls alike: one handler per effect type, in one table.
A Person is who they are for, for the length of one request; the number itself is never kept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import phonenumbers
import redis

from bot import store
from bot.turn import ForgetRequested, OptOutRequested, ReminderRequested, TextRequested, Turn

if TYPE_CHECKING:
    from bot.web import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """Who a turn's effects are for: the number for this request only, and its keyed hash."""

    number: str
    sender: str  # HMAC(secret, number): the only name kept
    now: datetime

    @classmethod
    def of(cls, secret: str, number: str, now: datetime) -> Person:
        return cls(number, store.sender_key(secret, number), now)


def can_text(number: str) -> bool:
    """Texts started by the line go only to U.S. numbers: a caller ID may be foreign, hidden or spoofed, and
    +1 alone also covers Canada and the Caribbean (libphonenumber knows which area codes are which)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) == "US"
    except phonenumbers.NumberParseException:
        return False


def _forget(services: Services, person: Person, _effect: OptOutRequested | ForgetRequested) -> None:
    services.sessions.delete(person.sender)
    services.reminders.cancel_all(person.sender)


def _schedule(services: Services, person: Person, effect: ReminderRequested) -> None:
    services.reminders.subscribe(person.number, person.sender, effect.event_id, effect.lang, person.now)


def _text(services: Services, person: Person, effect: TextRequested) -> None:
    services.reminders.text_now(person.number, person.sender, effect.node, effect.lang, effect.item)


HANDLERS: dict[type, Callable] = {
    OptOutRequested: _forget,
    ForgetRequested: _forget,
    ReminderRequested: _schedule,
    TextRequested: _text,
}


def carry_out(services: Services, person: Person | None, turn: Turn) -> None:
    """Every effect of the turn, by its one handler; nothing is done for nobody (a request with no number)."""
    if person is None:
        return
    for effect in turn.effects:
        HANDLERS[type(effect)](services, person, effect)


def carry_out_or_say_so(services: Services, person: Person | None, turn: Turn, channel: str) -> Turn:
    """Carry out the turn's effects; when Redis cannot take them, the turn's own words for that are told instead."""
    try:
        carry_out(services, person, turn)
    except redis.RedisError as error:
        log.error("%s: Redis is unreachable (%s); the turn's effects were not carried out", channel,
                  type(error).__name__)
        return turn.effects_failed()
    return turn
