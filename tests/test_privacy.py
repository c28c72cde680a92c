"""Anonymous by design: after whole conversations, no number appears in any Redis key or value, or in
any log line the app wrote."""

from __future__ import annotations

import logging
import re

from tests.conftest import make_phone

NUMBERS = ["+15055550123", "+15055551234", "+12125559876"]


def variants(number: str) -> set[str]:
    """The ways a number can leak: E.164, 11, 10 and 7 digits, and the usual formats."""
    digits = re.sub(r"\D", "", number)
    ten = digits[-10:]
    return {number, digits, ten, ten[-7:], f"({ten[:3]}) {ten[3:6]}-{ten[6:]}", f"{ten[:3]}-{ten[3:6]}-{ten[6:]}",
            f"{ten[3:6]}-{ten[6:]}", f"{ten[:3]}.{ten[3:6]}.{ten[6:]}"}


def everything_in_redis(client) -> str:
    dump = []
    for key in client.scan_iter("*"):
        dump.append(key.decode(errors="replace"))
        kind = client.type(key).decode()
        if kind == "string":
            dump.append(client.get(key).decode(errors="replace"))
        elif kind == "hash":
            dump.extend(f"{k.decode()}={v.decode()}" for k, v in client.hgetall(key).items())
        elif kind in ("list",):
            dump.extend(v.decode(errors="replace") for v in client.lrange(key, 0, -1))
        elif kind in ("set",):
            dump.extend(v.decode(errors="replace") for v in client.smembers(key))
        elif kind == "zset":
            dump.extend(v.decode(errors="replace") for v in client.zrange(key, 0, -1))
    return "\n".join(dump)


def test_no_number_in_redis_or_logs_after_whole_conversations(client, redis_client, caplog):
    caplog.set_level(logging.DEBUG)
    scripts = [["hola", "1", "1", "mas", "ayuda", "idioma", "1", "2", "5", "hospital", "BORRAR"],
               ["hi", "2", "5", "school", "0", "4", "6", "1", "zzz", "", "back", "STOP", "START", "3"],
               ["PUERTA", "0", "6", "2", "more", "more", "forget", "hi", "1", "6"]]
    for number, script in zip(NUMBERS, scripts, strict=True):
        phone = make_phone(client, number)
        for text in script:
            phone(text)
    assert redis_client.dbsize() > 0  # the scan below is looking at something
    stored = everything_in_redis(redis_client)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for number in NUMBERS:
        for variant in variants(number):
            assert variant not in stored, f"{variant!r} found in Redis"
            assert variant not in logged, f"{variant!r} found in the logs"
    # Message text is not kept either.
    assert "hospital" not in stored and "zzz" not in stored


def test_the_session_key_is_a_keyed_hash_and_expires(client, redis_client, app):
    make_phone(client, NUMBERS[0])("hi")
    (key,) = list(redis_client.scan_iter("rl:s:*"))
    assert re.fullmatch(rb"rl:s:[0-9a-f]{64}", key)
    ttl = redis_client.ttl(key)
    assert 0 < ttl <= app.extensions["rightsline"].settings.session_ttl


def test_counts_are_per_day_node_and_language_only(client, redis_client):
    phone = make_phone(client, NUMBERS[1])
    for text in ("hi", "1", "1"):
        phone(text)
    counts = redis_client.hgetall("rl:c:2026-11-22")
    assert counts[b"sms|en|rights:door"] == b"1"
    assert all(field.count(b"|") == 2 for field in counts)
