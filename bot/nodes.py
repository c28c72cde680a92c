"""What is said and offered at a node: its text and the nodes its `next` leads through, its data (places,
help lines, events), and what can be picked there. Pure, like the engine that decides where to go."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.flow import Event, Flows, Node, Option
from bot.turn import Choice, MessageRef, ReminderRequested, Say, State, Turn

MAX_HISTORY = 20  # enough BACK steps for any path through the tree, small enough to keep sessions tiny
MAX_NEXT_CHAIN = 5  # a node whose `next` leads on is shown with what follows, this many at most
MAX_EVENTS = 8  # events offered at once: one keypad digit each, with 9 and 0 left for back and menu


# ---------------------------------------------------------------- what can be picked


@dataclass(frozen=True)
class ShowEvent:
    """An upcoming event in the events list: picking it shows it in full."""

    key: str
    event_id: str
    label: Say


@dataclass(frozen=True)
class Remind:
    """At an event that is still ahead: picking it asks for a text reminder."""

    key: str
    event_id: str
    label: Say = Say("system:remind_me")


Pick = Option | ShowEvent | Remind


def _offer(pick: Pick) -> Choice:
    return Choice(pick.key, Say(pick.label) if isinstance(pick, Option) else pick.label)


def choices(flows: Flows, state: State, now: datetime) -> tuple[Choice, ...]:
    """What can be picked where `state` is, as every channel offers it."""
    return tuple(_offer(pick) for pick in picks(flows, state, now))


def _pushed(state: State) -> tuple[str, ...]:
    """The way back, with where the person is now added (the oldest steps dropped past MAX_HISTORY)."""
    return (state.history + (state.node,))[-MAX_HISTORY:]


def upcoming(flows: Flows, now: datetime) -> list[Event]:
    return [e for e in flows.events if e.is_upcoming(now)][:MAX_EVENTS]


def picks(flows: Flows, state: State, now: datetime) -> tuple[Pick, ...]:
    """What can be picked here: the node's own options; at an events node, the upcoming events, or
    for the event being looked at, a reminder (while one can still come before it starts)."""
    node = flows.nodes[state.node]
    if node.data != "events":
        # A language not yet switched on is left out until its catalog is complete.
        return tuple(o for o in node.options if o.language is None or o.language in flows.enabled_languages)
    if state.item is None:
        return tuple(ShowEvent(str(number), event.id,
                               Say.of("system:event_option", title=MessageRef(event.title), when=event.start))
                     for number, event in enumerate(upcoming(flows, now), start=1))
    event = flows.event(state.item)
    if event is not None and event.is_upcoming(now) and event.reminder_moments(now):
        return (Remind("1", event.id),)
    return ()


# ---------------------------------------------------------------- showing where the person is


def items(flows: Flows, node: Node, now: datetime) -> list[Say]:
    if node.data == "places":
        # Only places a rule covers: the entry for places with none is there to answer honestly, not to list.
        return [Say.of("system:place_item", name=MessageRef(p.name)) for p in flows.places if p.protection != "none"]
    if node.data == "hotlines":
        return [Say.of("system:hotline_item", name=MessageRef(h.name), phone=h.phone, note=MessageRef(h.note))
                for h in flows.hotlines]
    if node.data == "sources":
        return _sources(flows)
    if node.data == "events":
        return [Say.of("system:event_pick" if upcoming(flows, now) else "system:no_events")]
    return []


def _sources(flows: Flows) -> list[Say]:
    """Each source by its publisher, date and own title, with its address or the honest lack of one; then when a
    person last confirmed them on the live pages (the oldest check), or that not all have been."""
    says = [Say.of("system:source_item_dated" if s.published else "system:source_item", publisher=s.publisher,
                   published=s.published, title=s.title, url=s.url or MessageRef("system:no_public_copy"))
            for s in flows.sources.values()]
    checks = [s.checked for s in flows.sources.values()]
    if all(checks):
        return [*says, Say.of("system:sources_checked", checked=min(c for c in checks if c))]
    return [*says, Say.of("system:sources_not_checked")]


def show(flows: Flows, state: State, node_id: str, now: datetime, *, before: tuple[Say, ...] = (),
         push: bool = True, page: int = 0, outcome: str = "node", effects: tuple = ()) -> Turn:
    """Enter a node: say its text (and the nodes its `next` leads through), offer its options."""
    says = list(before)
    history = state.history
    if push and node_id != state.node:
        history = _pushed(state)
    for _ in range(MAX_NEXT_CHAIN):
        node = flows.nodes[node_id]
        says.append(Say(node.id))
        says.extend(items(flows, node, now))
        if not node.next:
            break
        node_id = node.next
    if node_id == flows.start:
        history = ()
    new_state = State(node_id, state.lang, history, page)
    return Turn(tuple(says), new_state, state.lang, node_id, choices(flows, new_state, now), page, effects, outcome,
                footer=node_id != flows.start)


def brief(flows: Flows, state: State, says: tuple[Say, ...], outcome: str, now: datetime) -> Turn:
    """A short line, then the current menu again: never the whole script a second time."""
    options = choices(flows, state, now)
    if options:
        says += (Say.of("system:pick"),)
    return Turn(says, replace(state, page=0), state.lang, state.node, options, 0, (), outcome,
                footer=state.node != flows.start)


def show_event(flows: Flows, state: State, event: Event, now: datetime) -> Turn:
    """One event in full: when, where, and (if there is still time) the offer of a text reminder."""
    timed = isinstance(event.start, datetime)
    detail = Say.of("system:event_detail" if timed else "system:event_detail_day", title=MessageRef(event.title),
                    when=event.start, where=event.place or event.link)
    new_state = State(state.node, state.lang, _pushed(state), 0, event.id)
    return Turn((detail,), new_state, state.lang, state.node, choices(flows, new_state, now), outcome="event")


def repeat(flows: Flows, state: State, now: datetime) -> Turn:
    """Where the person is, said again in full."""
    event = flows.event(state.item) if state.item is not None else None
    if event is not None:
        back = replace(state, history=state.history[:-1], item=None)
        return show_event(flows, back, event, now)
    return show(flows, state, state.node, now, push=False, outcome="repeat")


def script(flows: Flows, state: State, now: datetime) -> tuple[Say, ...]:
    """What is said where `state` is, in full and without a menu: a script a caller asked to have by text."""
    return repeat(flows, state, now).says


def remind(flows: Flows, state: State, event: Event, now: datetime) -> Turn:
    """Confirm the reminders and when they will come; the edge schedules them (once, however often asked)."""
    moments = tuple(moment for _offset, moment in event.reminder_moments(now))
    if not moments:
        return brief(flows, state, (Say.of("system:reminder_too_late"),), "reminder:late", now)
    says = (Say.of("system:reminder_set", times=moments),)
    return Turn(says, state, state.lang, state.node, (), effects=(ReminderRequested(event.id, state.lang),),
                outcome="reminder")
