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
# together. KEYS: the counts; ARGV: each one's limit and its life in seconds, in pairs. Returns 0, or the
# position (from 1) of the first limit reached.
_TAKE = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[2 * i])
end
return 0
"""

LIMITS = {"number": "RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY", "call": "RIGHTSLINE_TEXTS_PER_CALL",
          "budget": "RIGHTSLINE_DAILY_TEXT_BUDGET"}


class TextAllowance:
    def __init__(self, settings: config.Settings, connection: redis.Redis):
        self.settings = settings
        self.redis = connection
        self._take = connection.register_script(_TAKE)

    def take(self, now: datetime, sender: str | None = None, call: str | None = None,
             budget: bool = True) -> str | None:
        """Count one text the line is about to start; None if every limit allows it, else the name of the limit
        it would pass ("number", "call", "budget"), and then nothing is counted. A refusal is logged and counted
        per day, without anything about who asked."""
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
        refused = int(self._take(keys=[key for _name, key, _limit, _life in checks],
                                 args=[value for _n, _k, limit, life in checks for value in (limit, life)]))
        if not refused:
            return None
        name = checks[refused - 1][0]
        log.warning("texts: not sent, %s reached (%s)", LIMITS[name], checks[refused - 1][2])
        store.count_use(self.redis, now, "limits", "-", name)
        return name
