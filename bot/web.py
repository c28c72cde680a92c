"""The Flask app: create_app builds everything once (settings, flows, translations, the match vocabulary,
Redis) into Services, kept in app.extensions, and registers the webhooks. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask
from twilio.request_validator import RequestValidator

from bot import config, flow, reminders, store, voice, webhooks
from bot.allowance import TextAllowance
from bot.i18n import Translator
from bot.vocabulary import Vocabulary

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # bytes of a request body


@dataclass
class Services:
    """Everything a request needs, built once by create_app and kept in app.extensions."""

    settings: config.Settings
    flows: flow.Flows
    translator: Translator
    vocabulary: Vocabulary
    speaker: voice.Speaker
    redis: redis.Redis
    sessions: store.Sessions
    reminders: reminders.Reminders
    validators: tuple[RequestValidator, ...]  # the Auth Token's, then during a rotation the other one's
    allowance: TextAllowance
    embedded: store.EmbeddedRedis | None = None
    clock: Callable[[], datetime] | None = None  # tests freeze it

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)


def build_services(settings: config.Settings, clock=None, flows: flow.Flows | None = None) -> Services:
    """`flows`, if given, are already loaded (and checked) from settings.flows_dir: tests load them once."""
    if flows is None:
        flows = flow.load(settings.flows_dir)  # raises FlowError: a broken set is never served
    for warning in flows.warnings:  # served all the same; said once at start, as `flows check` says them
        log.warning("%s", warning)
    translator = Translator(flows, settings.translations_dir)
    vocabulary = Vocabulary.build(flows, translator.text)
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = store.EmbeddedRedis(settings.instance_dir / "redis")
        url = embedded.url
    client = store.connect(url, settings.redis_timeout)
    return Services(settings, flows, translator, vocabulary, voice.Speaker(flows, translator), client,
                    store.Sessions(client, settings.session_ttl, settings.sender_burst, settings.sender_per_minute),
                    reminders.Reminders(settings, flows, client),
                    tuple(RequestValidator(token) for token in (settings.twilio_auth_token,
                                                                settings.twilio_auth_token_secondary) if token),
                    TextAllowance(settings, client), embedded, clock)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the whole app: settings, flows, translations, Redis. Nothing is built at import time."""
    overrides = dict(overrides or {})
    clock = overrides.pop("clock", None)
    flows = overrides.pop("flows", None)
    settings = config.load(overrides)
    if not settings.twilio_auth_token:
        # An empty key signs anything: a request "signed" with it by anyone would pass. Development makes its
        # own token; every other mode must be given the real one.
        raise config.ConfigError("TWILIO_AUTH_TOKEN is not set: the web app checks Twilio's signature with it and "
                                 "will not start without it (RIGHTSLINE_ENV=development makes one for this machine).")
    app = Flask(__name__)
    # A text of 1,600 Vietnamese or Chinese characters is 15-20 KB form-encoded, with Twilio's own fields and
    # up to 10 media URLs; anything longer is no webhook of Twilio's, and is refused (413) unread.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    services = build_services(settings, clock, flows)
    app.extensions["rightsline"] = services
    app.register_blueprint(webhooks.bp)
    return app
