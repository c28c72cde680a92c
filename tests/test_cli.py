"""The commands staff and operators run: chat through the real webhook, and settings that refuse to guess."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot import config, store, web
from bot.cli import main
from tests.helpers import assert_no_number, everything_in_redis


def test_chat_walks_a_conversation_through_the_signed_webhook(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGHTSLINE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    apps = []  # the in-process app chat builds, to look into its Redis afterwards
    real_create_app = web.create_app
    monkeypatch.setattr(web, "create_app", lambda overrides=None: apps.append(real_create_app(overrides)) or apps[-1])
    result = CliRunner().invoke(main, ["chat", "--lang", "es", "--url", "", "--number", "+15055550177"],
                                input="1\n1\nmas\n")
    (app,) = apps
    services = app.extensions["rightsline"]
    try:
        assert result.exit_code == 0, result.output
        assert "Línea de Derechos" in result.output and "segments, UCS-2" in result.output
        assert "orden firmada por un juez" in result.output
        # The conversation is kept under the number's keyed hash, and the number is nowhere.
        assert services.redis.exists(store.Sessions.key(store.sender_key(services.settings.secret, "+15055550177")))
        assert_no_number(["+15055550177"], everything_in_redis(services.redis), result.output)
    finally:
        services.embedded.shutdown()


def test_chat_by_voice_speaks_each_sentence_in_its_voice_and_takes_keys_words_and_silence(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGHTSLINE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["chat", "--voice", "--lang", "es", "--url", ""],
                                input="1\nlugares seguros\n\n\n\n")
    assert result.exit_code == 0, result.output
    assert "[Polly.Mia es-MX] Para Sus derechos, oprima 1." in result.output
    assert "Todos tienen derechos" in result.output  # a key
    assert "Lugares donde los agentes" in result.output  # words, heard as speech
    assert "No escuché una opción." in result.output and "(the line hung up)" in result.output  # silence x3


def test_production_refuses_to_start_without_its_secrets_and_names_them():
    with pytest.raises(config.ConfigError) as caught:
        config.load(environ={"RIGHTSLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "x" * 32})
    assert "RIGHTSLINE_SECRET" in str(caught.value) and "REDIS_URL" in str(caught.value)
    assert "TWILIO_AUTH_TOKEN" not in str(caught.value)


def test_production_starts_with_its_secrets():
    settings = config.load(environ={"RIGHTSLINE_SECRET": "s" * 32, "TWILIO_AUTH_TOKEN": "t" * 32,
                                    "REDIS_URL": "redis://localhost:6379/0", "PUBLIC_URL": "https://x.org/"})
    assert settings.public_url == "https://x.org" and not settings.development


def test_a_bad_number_setting_is_named():
    with pytest.raises(config.ConfigError, match="RIGHTSLINE_SESSION_TTL must be a whole number"):
        config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                             "RIGHTSLINE_SESSION_TTL": "1h"})
