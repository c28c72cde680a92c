"""Reminders as RQ jobs that hold the number only encrypted, under ids derived from a keyed hash.
Subscribing, cancelling (STOP, FORGET, a carrier opt-out) and keeping jobs in step with events.yaml."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import re
import secrets
from datetime import datetime, timedelta

import redis
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from bot import config, flow
from bot.store import PREFIX

log = logging.getLogger(__name__)

QUEUE_NAME = "reminders"
SEND = "bot.delivery.send_reminder"  # by name: the web app never imports the Twilio sender
SEND_TEXT = "bot.delivery.send_text"
DELETE_MEDIA = "bot.delivery.delete_media"
# RQ logs a job's description, and the default one shows the arguments; this one shows nothing.
DESCRIPTION = "reminder"
# A job that failed for good stays visible to operators for a day (its number encrypted).
FAILURE_TTL = 86400
JOB_TIMEOUT = 60  # seconds: a send takes well under this, even waiting its turn at TWILIO_MPS
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def cipher(settings: config.Settings) -> MultiFernet:
    """Encrypts numbers with the newest key and reads tokens from any key still listed, so keys rotate
    without losing pending reminders. The key derived from the secret is always tried last."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"rightsline reminder numbers").derive(settings.secret.encode())
    keys = [Fernet(key) for key in settings.reminder_keys]
    keys.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(keys)


def job_id(secret: str, sender: str, event_id: str, offset: str) -> str:
    """The same person, event and offset always give the same id, so asking twice schedules nothing new;
    the id reveals none of the three."""
    digest = hmac.new(secret.encode(), f"{sender}|{event_id}|{offset}".encode(), hashlib.sha256).hexdigest()
    return f"reminder-{digest[:40]}"


def index_key(sender: str) -> str:
    """The set of a person's pending job ids, so that STOP can find them; it expires with the last one."""
    return f"{PREFIX}:r:{sender}"


def sent_key(job: str) -> str:
    """The claim a job takes before it calls Twilio: "claimed", then "sent" (or "failed")."""
    return f"{PREFIX}:sent:{job}"


def reminder_queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


def release_due(connection: redis.Redis) -> bool:
    """Move every reminder that is due into the queue. RQ's scheduler moves at most 1,000 a pass: once a
    second while a worker runs, but only once in all for a burst worker, so `worker.py --burst` calls
    this first. False when another scheduler holds the lock (it is moving them itself)."""
    queue = reminder_queue(connection)
    scheduler = RQScheduler([queue], connection=connection, serializer=JSONSerializer)
    scheduler.acquire_locks()
    if not scheduler.acquired_locks:
        return False
    registry = ScheduledJobRegistry(queue=queue)
    try:
        while registry.get_jobs_to_schedule(chunk_size=1):
            scheduler.enqueue_scheduled_jobs()
    finally:
        scheduler.release_locks()
    return True


def with_jitter(delays: tuple[int, ...]) -> list[int]:
    """Back-off delays with up to a quarter added at random, so retries after an outage do not all
    arrive at Twilio in the same second."""
    return [delay + int(random.uniform(0, delay / 4)) for delay in delays]


class Reminders:
    def __init__(self, settings: config.Settings, flows: flow.Flows, connection: redis.Redis):
        self.settings = settings
        self.flows = flows
        self.redis = connection
        self.queue = reminder_queue(connection)
        self.cipher = cipher(settings)

    def subscribe(self, number: str, sender: str, event_id: str, lang: str, now: datetime) -> int:
        """Schedule this event's reminders still ahead; returns how many are new (0 when asked twice)."""
        event = self.flows.event(event_id)
        if event is None or not E164.match(number):
            log.warning("reminders: not scheduled (%s)", "no such event" if event is None else "not a phone number")
            return 0
        moments = event.reminder_moments(now)
        token = self.cipher.encrypt(number.encode()).decode()
        options = self._job_options()
        new = 0
        for offset, moment in moments:
            job = job_id(self.settings.secret, sender, event.id, offset.text)
            if self.redis.exists(sent_key(job)):
                continue  # this one already went out
            payload = {"to": token, "s": sender, "e": event.id, "o": offset.text, "at": moment.isoformat(), "l": lang}
            try:
                self.queue.enqueue_at(moment, SEND, payload, job_id=job, unique=True, **options)
            except DuplicateJobError:
                continue
            new += 1
            self.redis.sadd(index_key(sender), job)
        if moments:
            last = moments[-1][1] + timedelta(seconds=self.settings.reminder_lateness) + timedelta(days=1)
            self.redis.expireat(index_key(sender), int(last.timestamp()))
        return new

    def text_now(self, number: str, sender: str, node: str, lang: str, item: str | None = None) -> None:
        """Text a caller what they just heard, now: a job like a reminder's, under a one-off id."""
        token = self.cipher.encrypt(number.encode()).decode()
        job = f"text-{secrets.token_hex(20)}"
        self.queue.enqueue(SEND_TEXT, {"to": token, "s": sender, "k": job, "n": node, "l": lang, "i": item},
                           job_id=job, **self._job_options())

    def delete_media(self, message: str, media: list[str]) -> None:
        """Have the worker delete pictures a person sent from Twilio (their SIDs only: no number, no picture)."""
        self.queue.enqueue(DELETE_MEDIA, {"m": message, "media": media}, **self._job_options())

    def _job_options(self) -> dict:
        """What every reminder or text job is enqueued with: nothing readable, nothing kept after it runs."""
        delays = self.settings.retry_delays
        retry = Retry(max=len(delays), interval=with_jitter(delays)) if delays else None
        return {"description": DESCRIPTION, "result_ttl": 0, "failure_ttl": FAILURE_TTL, "retry": retry,
                "job_timeout": JOB_TIMEOUT}

    def cancel_all(self, sender: str) -> int:
        """Cancel every pending reminder of one person (STOP, FORGET, an opt-out at the carrier)."""
        members = self.redis.smembers(index_key(sender))
        ids = [member.decode() if isinstance(member, bytes) else member for member in members]
        for job in ids:
            self.drop(job)
        self.redis.delete(index_key(sender))
        return len(ids)

    def drop(self, job: str, sender: str | None = None) -> None:
        try:
            Job.fetch(job, connection=self.redis, serializer=JSONSerializer).delete()
        except NoSuchJobError:
            pass
        if sender:
            self.redis.srem(index_key(sender), job)

    def sync(self, now: datetime) -> dict[str, int]:
        """Bring scheduled reminders in line with events.yaml: a moved event moves its reminders, a removed
        one (or a removed reminder time) cancels them, and one overdue past the lateness is dropped."""
        registry = ScheduledJobRegistry(queue=self.queue)
        counts = {"kept": 0, "moved": 0, "dropped": 0}
        late = now - timedelta(seconds=self.settings.reminder_lateness)
        for job in registry.get_job_ids():
            try:
                scheduled = Job.fetch(job, connection=self.redis, serializer=JSONSerializer)
                payload = scheduled.args[0]
            except (NoSuchJobError, IndexError, TypeError):
                registry.remove(job)
                continue
            moment = self.moment_of(payload)
            if moment is None or moment < late:
                self.drop(job, payload.get("s"))
                counts["dropped"] += 1
            elif moment.isoformat() != payload.get("at"):
                scheduled.args = [{**payload, "at": moment.isoformat()}]
                scheduled.save()
                registry.schedule(scheduled, moment)
                counts["moved"] += 1
            else:
                counts["kept"] += 1
        if counts["moved"] or counts["dropped"]:
            log.info("reminders: %(kept)d kept, %(moved)d moved, %(dropped)d dropped to match events.yaml", counts)
        return counts

    def moment_of(self, payload: dict) -> datetime | None:
        """When a reminder is due by the current events.yaml; None when its event or time is gone."""
        event = self.flows.event(payload.get("e", ""))
        if event is None:
            return None
        offset = next((o for o in event.reminders if o.text == payload.get("o")), None)
        return offset.moment(event.start) if offset else None
