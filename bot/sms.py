"""The SMS channel: a Turn laid out as short text lines with numbered options, paged by segments.
A reply longer than the segment budget is cut at line or word boundaries and ends with the MORE hint."""

from __future__ import annotations

import re
from functools import lru_cache

from twilio.twiml.messaging_response import MessagingResponse

from bot import segments
from bot.i18n import Translator, for_sms
from bot.turn import Say, Turn


def compose(translator: Translator, turn: Turn) -> list[list[str]]:
    """The reply as blocks of lines: one block per thing said, then the menu (options and footer).

    Paging never splits the menu block, so a person always sees every choice on one screen."""
    lang = turn.lang
    blocks = [[for_sms(say.lang or lang, translator.render(lang, say))] for say in turn.says]
    menu = [for_sms(lang, translator.render(lang, Say.of("system:option", key=option.key,
                                                         label=translator.render(lang, option.label))))
            for option in turn.options]
    if turn.footer:
        menu.append(for_sms(lang, translator.render(lang, Say.of("system:footer"))))
    if turn.options and blocks:
        menu = blocks.pop() + menu  # a menu's own question stays on the screen with its choices
    blocks.append(menu)
    return [[line for line in block if line.strip()] for block in blocks if any(x.strip() for x in block)]


def _fits(text: str, budget: int) -> bool:
    return segments.count(text) <= budget


# Where a long text is best cut: after a sentence (in Chinese, 。 needs no space after it), else at a space.
_SENTENCE_END = re.compile(r"(?<=[.:?!;؟])\s+|(?<=[。！？；])")
_SPACE = re.compile(r"\s+")


def _cut(text: str, room) -> tuple[str, str]:
    """Split over-long text: (the longest head that fits, the rest), at a sentence end if one is in the second
    half of the head, else at a space there, else at a character (Chinese has no spaces between words)."""
    low, high = 1, len(text)
    while low < high:  # the longest prefix that fits: `room` only ever refuses longer text
        middle = (low + high + 1) // 2
        if room(text[:middle]):
            low = middle
        else:
            high = middle - 1
    if low >= len(text):
        return text, ""
    head = text[:low]
    for boundary in (_SENTENCE_END, _SPACE):
        ends = [found.end() for found in boundary.finditer(head)]
        if ends and ends[-1] > low // 2:
            return text[:ends[-1]].rstrip(), text[ends[-1]:].strip()
    return head, text[low:]


def paginate(blocks: list[list[str]], budget: int, hint: str) -> list[str]:
    """Pages of at most `budget` segments; every page but the last ends with `hint` (reply MORE)."""
    return list(_pages(tuple(tuple(block) for block in blocks), budget, hint))


@lru_cache(maxsize=2048)
def _pages(blocks: tuple[tuple[str, ...], ...], budget: int, hint: str) -> tuple[str, ...]:
    """Laid out once per reply text and kept: every reply is made from the flows (never from what a person
    wrote), so the same few hundred replies are counted into segments again and again otherwise."""
    return tuple(_lay_out([list(block) for block in blocks], budget, hint))


def _lay_out(blocks: list[list[str]], budget: int, hint: str) -> list[str]:
    whole = "\n".join(line for block in blocks for line in block)
    if _fits(whole, budget):
        return [whole]
    pages: list[str] = []
    current: list[str] = []
    queue = [list(block) for block in blocks]

    def with_hint(lines: list[str]) -> bool:
        return _fits("\n".join(lines + [hint]), budget)

    while queue:
        block = queue.pop(0)
        last = not queue
        joined = current + block
        if (last and _fits("\n".join(joined), budget)) or with_hint(joined):
            current = joined
            continue
        # A block that fits on a page of its own starts on a fresh one, unless what is on this page leads into it
        # (ends with a colon: "If it is a paper from agents:"), which is never left alone above "Reply MORE". One
        # too long for any page is cut anyway, so after a short start it fills this page.
        leads_in = bool(current) and current[-1].rstrip().endswith((":", "\uff1a"))
        short = bool(current) and segments.count("\n".join(current)) <= max(1, budget // 2)
        if current and not leads_in and (with_hint(block) or not short):
            pages.append("\n".join(current + [hint]))
            current = []
            queue.insert(0, block)
            continue
        # Take the lines that fit, cutting one if need be.
        taken, current = current, []
        before = len(taken)
        while block and with_hint(taken + block[:1]):
            taken.append(block.pop(0))
        if len(taken) == before:
            head, tail = _cut(block[0], lambda text, above=tuple(taken): with_hint([*above, text]))
            taken, block[0] = [*taken, head], tail
            if not tail:
                block.pop(0)
        pages.append("\n".join(taken + [hint]))
        if block:
            queue.insert(0, block)
    if current == blocks[-1] and len(current) == 1 and pages:
        # Only the footer is left: it takes the MORE hint's place on the page before, or is left out, so no
        # page ever holds the footer alone.
        merged = pages[-1].rsplit("\n", 1)[0]
        pages[-1] = f"{merged}\n{current[0]}" if _fits(f"{merged}\n{current[0]}", budget) else merged
    elif current:
        pages.append("\n".join(current))
    return pages


def cut_to(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a sentence end where one is near."""
    if len(text) <= limit:
        return text
    return _cut(text, lambda head: len(head) <= limit)[0]


def render_text(translator: Translator, turn: Turn, budget: int) -> str:
    """The one message this turn sends: the page the person asked for."""
    hint = for_sms(turn.lang, translator.render(turn.lang, Say.of("system:more_hint")))
    try:
        pages = _laid_out(translator, turn.lang, turn.says, turn.options, turn.footer, budget, hint)
    except TypeError:  # a parameter that cannot be a key (a list): laid out afresh
        pages = tuple(paginate(compose(translator, turn), budget, hint))
    if turn.page < len(pages):
        return for_sms(turn.lang, pages[turn.page])  # a line cut across pages starts right to left too
    # MORE after the last page: say so, and offer the menu again rather than repeating everything.
    done = Turn((Say.of("system:no_more"),), turn.state, turn.lang, turn.node, turn.options, footer=True)
    return paginate(compose(translator, done), budget, hint)[0]


@lru_cache(maxsize=2048)
def _laid_out(translator: Translator, lang: str, says: tuple, options: tuple, footer: bool, budget: int,
              hint: str) -> tuple[str, ...]:
    """The pages of a reply, kept per what it says (as _pages keeps them per text): rendering its messages
    through the catalogs and Babel costs more than the rest of a step."""
    turn = Turn(says, None, lang, options=options, footer=footer)
    return tuple(paginate(compose(translator, turn), budget, hint))


@lru_cache(maxsize=2048)
def twiml(body: str | None) -> str:
    """The TwiML reply; no body means no message (for example after an opt-out Twilio answers itself).
    Kept per body, as the pages are: every body is made from the flows, never from what a person wrote."""
    response = MessagingResponse()
    if body:
        response.message(body)
    return str(response)
