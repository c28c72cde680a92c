"""One pace for all reminder workers: at most TWILIO_MPS message segments a second, kept in Redis.
It is a cell-rate schedule (GCRA) with no burst, so no one-second window ever holds more than the cap."""

from __future__ import annotations

import time

import redis

from bot.store import PREFIX

# KEYS[1]: the theoretical arrival time of the next segment, in microseconds of Redis's own clock.
# ARGV[1]: microseconds per segment; ARGV[2]: segments wanted. Returns 0 (go now) or microseconds to wait.
# Redis's clock is shared by every worker, so machines with skewed clocks still keep one pace.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_free > now then
  return next_free - now
end
local until_free = now + interval * wanted
redis.call('SET', KEYS[1], string.format('%d', until_free), 'PX', math.ceil((until_free - now) / 1000) + 1000)
return 0
"""


class Pace:
    def __init__(self, connection: redis.Redis, segments_per_second: float, key: str = f"{PREFIX}:pace"):
        self.interval_us = int(1_000_000 / segments_per_second)
        self.key = key
        self._take = connection.register_script(_TAKE)

    def wait(self, segments: int) -> float:
        """Block until `segments` may be sent; returns the seconds waited."""
        waited = 0.0
        while True:
            micros = int(self._take(keys=[self.key], args=[self.interval_us, max(1, segments)]))
            if micros <= 0:
                return waited
            pause = micros / 1_000_000
            time.sleep(pause)
            waited += pause
