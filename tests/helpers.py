"""What several test modules share, so that no test module imports another: the test settings, the
shipped flows and translations (loaded once for the whole session: never change them, copy the folder
with the `flows_dir` fixture instead), the paths to every node, and the phone and caller helpers that read
what the bot says from the catalog."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

from bot import flow
from bot.chat import WebhookCaller, WebhookPhone
from bot.i18n import Translator

ROOT = Path(__file__).resolve().parent.parent
FROZEN_NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # a Sunday, 10:00 in Albuquerque
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SECRET = "test-secret-0123456789abcdef0123456789"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2

FLOWS = flow.load(ROOT / "flows")
TRANSLATOR = Translator(FLOWS, ROOT / "translations")


# ---------------------------------------------------------------- by text


def make_phone(client, number: str):
    """A phone that texts the bot: phone("1") returns the reply as the screen shows it."""
    device = WebhookPhone(AUTH_TOKEN, number, client=client)

    def send(text: str) -> str:
        reply = device.send(text)
        assert device.last_status == 200, device.last_xml
        return reply

    send.device = device
    return send


def said(lang: str, message_id: str) -> str:
    """The first words of a message as the bot says it in `lang`."""
    return TRANSLATOR.text(lang, message_id)[:40]


def paths_to_every_node() -> dict[str, list[str]]:
    """For each node, the keys that reach it from the main menu (breadth first: the shortest path)."""
    paths, queue = {FLOWS.start: []}, [FLOWS.start]
    while queue:
        node = FLOWS.nodes[queue.pop(0)]
        for option in node.options:
            if option.target and option.target not in paths:
                paths[option.target] = paths[node.id] + [option.key]
                queue.append(option.target)
    return paths


PATHS = paths_to_every_node()


def offered(node_id: str):
    """A node's options as a person sees them: languages not yet switched on are left out."""
    return [o for o in FLOWS.nodes[node_id].options if o.language in (None, *FLOWS.enabled_languages)]


# ---------------------------------------------------------------- by phone call

VOICED = [code for code in FLOWS.enabled_languages if FLOWS.languages[code].voice]
LANGUAGE_KEYS = {o.language: o.key for o in FLOWS.nodes[FLOWS.language_node].options}


def spoken(lang: str, message_id: str) -> str:
    """The first sentence of a message as the phone says it in `lang`."""
    voice_id = f"{message_id}/voice"
    text = TRANSLATOR.text(lang, voice_id if voice_id in FLOWS.strings else message_id)
    return text.split(". ")[0].rstrip(".")


def well_formed(xml: str, lang: str | None) -> None:
    """What Twilio needs of every answer: XML; only Say, Play and Pause inside a Gather; a Gather that
    leads on (and a Redirect for silence) or a Hangup; each Say in its language's voice."""
    root = ElementTree.fromstring(xml)
    assert root.tag == "Response"
    gathers = root.findall("Gather")
    for gather in gathers:
        assert {child.tag for child in gather} <= {"Say", "Play", "Pause"}
        assert gather.get("action", "").startswith("/voice?") and gather.get("numDigits") == "1"
    assert gathers or root.find("Hangup") is not None, xml
    if gathers:
        assert root.find("Redirect") is not None and root.find("Redirect").text.startswith("/voice?")
    for say in root.iter("Say"):
        assert say.get("voice") and say.get("language"), xml
        assert (say.text or "").strip()
        if lang:
            language = FLOWS.languages[lang]
            assert (say.get("voice"), say.get("language")) == (language.voice, language.voice_language)


def make_caller(client, number: str) -> WebhookCaller:
    return WebhookCaller(AUTH_TOKEN, number, client=client)


def call_in(caller: WebhookCaller, lang: str):
    caller.dial()
    well_formed(caller.last_xml, None)
    heard = caller.press(LANGUAGE_KEYS[lang])
    well_formed(caller.last_xml, lang)
    return heard


# ---------------------------------------------------------------- privacy


def variants(number: str) -> set[str]:
    """The ways a number can leak: E.164, 11, 10 and 7 digits, and the usual formats."""
    digits = re.sub(r"\D", "", number)
    ten = digits[-10:]
    return {number, digits, ten, ten[-7:], f"({ten[:3]}) {ten[3:6]}-{ten[6:]}", f"{ten[:3]}-{ten[3:6]}-{ten[6:]}",
            f"{ten[3:6]}-{ten[6:]}", f"{ten[:3]}.{ten[3:6]}.{ten[6:]}"}


def assert_no_number(numbers: list[str], *texts: str) -> None:
    for number in numbers:
        for variant in variants(number):
            for text in texts:
                assert variant not in text, f"{variant!r} found: ...{text[max(0, text.find(variant) - 80):][:160]}..."


def readable(value: bytes) -> str:
    """A stored value as text, unpacked first if it is zlib-compressed (as RQ stores job data)."""
    try:
        value = zlib.decompress(value)
    except zlib.error:
        pass
    return value.decode(errors="replace")


def everything_in_redis(client) -> str:
    """Every key and value: strings, hashes, lists, sets, sorted sets and streams (RQ's results)."""
    dump = []
    for key in client.scan_iter("*"):
        dump.append(key.decode(errors="replace"))
        kind = client.type(key).decode()
        if kind == "string":
            dump.append(readable(client.get(key)))
        elif kind == "hash":
            dump.extend(f"{readable(k)}={readable(v)}" for k, v in client.hgetall(key).items())
        elif kind == "list":
            dump.extend(readable(v) for v in client.lrange(key, 0, -1))
        elif kind == "set":
            dump.extend(readable(v) for v in client.smembers(key))
        elif kind == "zset":
            dump.extend(readable(v) for v in client.zrange(key, 0, -1))
        elif kind == "stream":
            for _id, fields in client.xrange(key):
                dump.extend(f"{readable(k)}={readable(v)}" for k, v in fields.items())
        else:
            raise AssertionError(f"the scan cannot read a Redis {kind}: teach it, or the test proves nothing")
    return "\n".join(dump)
