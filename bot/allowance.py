"""Limits on the texts the line starts itself: a caller's "text me this", reminders. Each costs the city, and a
line that texts any number it is given can be used to text strangers (SMS pumping). So: at most
RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY to one number, RIGHTSLINE_TEXTS_PER_CALL in one call, and
RIGHTSLINE_DAILY_TEXT_BUDGET for the whole line, per UTC day. The counts are kept in Redis under the sender's keyed
hash (never a number) and a keyed hash of the call, and expire when their day (or call) is over."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta

import redis

from bot import config, store

log = logging.getLogger(__name__)

CALL_SECONDS = 4 * 3600  # Twilio ends a call after four hours at most

# Every limit is checked before any is counted, in one script, so 200 texts at once cannot slip past a limit
# together. KEYS: the request's replay record ('' if it has none), then the counts; ARGV: the replay record's life,
# then each count's limit and its life in seconds, in pairs. Returns -1 for a request seen before, 0, or the
# position (from 1) of the first limit reached.
_TAKE = """
if KEYS[1] ~= '' and not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return -1 end
for i = 2, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 2]) then return i - 1 end
end
for i = 2, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1])
end
return 0
"""

REPLAY = "replay"
REPLAY_SECONDS = 600  # Twilio's signature has no time in it: a signed request is known again for this long

LIMITS = {"number": "RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY", "call": "RIGHTSLINE_TEXTS_PER_CALL",
          "budget": "RIGHTSLINE_DAILY_TEXT_BUDGET"}


class TextAllowance:
    def __init__(self, settings: config.Settings, connection: redis.Redis):
        self.settings = settings
        self.redis = connection
        self._take = connection.register_script(_TAKE)

    def take(self, now: datetime, sender: str | None = None, call: str | None = None,
             budget: bool = True, once: str | None = None) -> str | None:
        """Count one text the line is about to start; None if every limit allows it, else the name of the limit
        it would pass ("number", "call", "budget"), and then nothing is counted. A refusal is logged and counted
        per day, without anything about who asked. `once` names the request (a keyed hash): one seen in the last
        REPLAY_SECONDS is a replay (REPLAY), and starts no second text."""
        day = now.astimezone(UTC).strftime("%Y-%m-%d")
        midnight = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        rest_of_day = max(60, int((midnight - now).total_seconds()))
        checks: list[tuple[str, str, int, int]] = []
        if sender:
            checks.append(("number", f"{store.PREFIX}:t:n:{day}:{sender}", self.settings.texts_per_number_per_day,
                           rest_of_day))
        if call:
            called = hmac.new(self.settings.secret.encode(), call.encode(), hashlib.sha256).hexdigest()
            checks.append(("call", f"{store.PREFIX}:t:c:{called}", self.settings.texts_per_call, CALL_SECONDS))
        if budget:
            checks.append(("budget", f"{store.PREFIX}:t:b:{day}", self.settings.daily_text_budget,
                           rest_of_day + 86400))  # kept a day longer: operators read yesterday's total
        once_key = f"{store.PREFIX}:once:{once}" if once else ""
        limits = (value for _name, _key, limit, life in checks for value in (limit, life))
        refused = int(self._take(keys=[once_key, *(key for _name, key, _limit, _life in checks)],
                                 args=[REPLAY_SECONDS, *limits]))
        if refused < 0:
            log.warning("texts: a request seen before asked for a text again; none sent")
            store.count_use(self.redis, now, "limits", "-", REPLAY)
            return REPLAY
        if not refused:
            return None
        name = checks[refused - 1][0]
        log.warning("texts: not sent, %s reached (%s)", LIMITS[name], checks[refused - 1][2])
        store.count_use(self.redis, now, "limits", "-", name)
        return name
