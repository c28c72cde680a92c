"""Fixtures: a real Redis server for the session (embedded, or REDIS_URL), flushed per test; the app
built by create_app with a frozen clock and the shipped flows loaded once per session; phones that sign
every text as Twilio does."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest

from bot import store
from bot.web import create_app
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, FLOWS, FROZEN_NOW, ROOT, SECRET, make_phone
from tests.standin import MessagesAPI


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = store.EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.shutdown()


@pytest.fixture
def redis_client(redis_url):
    client = store.connect(redis_url, 2.0)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def shipped_flows():
    """The shipped flows, loaded (and checked) once for the session. A test that needs other flows copies
    the folder (`flows_dir`) and loads its copy."""
    return FLOWS


@pytest.fixture(scope="session")
def _shipped_flows_as_loaded(shipped_flows):
    return copy.deepcopy(shipped_flows)


@pytest.fixture
def flows_dir(tmp_path) -> Path:
    """A copy of the shipped flows that a test may change."""
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    return folder


@pytest.fixture
def overrides(redis_url, tmp_path) -> dict:
    return {"env": "test", "secret": SECRET, "twilio_auth_token": AUTH_TOKEN, "redis_url": redis_url,
            "instance_dir": tmp_path / "instance", "clock": lambda: FROZEN_NOW,
            # Tests walk whole conversations within one frozen second, where a person takes minutes; the limit's
            # own tests (test_abuse.py) set it back to its defaults.
            "sender_burst": 50}


@pytest.fixture
def app(overrides, redis_client, shipped_flows, _shipped_flows_as_loaded):
    yield create_app({**overrides, "flows": shipped_flows})
    # Shared across the session: a test that changed them would change every later test's bot.
    assert shipped_flows == _shipped_flows_as_loaded, "this test changed the shared flows; copy flows_dir instead"


@pytest.fixture
def messages_api():
    """The stand-in for Twilio's Messages API, recording every message it was asked to send."""
    with MessagesAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def sending(overrides, flows_dir, messages_api, redis_client) -> dict:
    """Overrides for an app whose reminders go to the stand-in, retried at once (no back-off waits)."""
    return {**overrides, "flows_dir": flows_dir, "twilio_account_sid": ACCOUNT_SID, "twilio_from": "+15055550000",
            "twilio_api_url": messages_api.url, "retry_delays": (0, 0, 0)}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def phone(client):
    """A phone that texts the bot: phone("1") returns the reply as the screen shows it."""
    return make_phone(client, "+15055550123")
