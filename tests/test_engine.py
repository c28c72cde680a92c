"""The engine is pure, and every effect it can ask for has exactly one handler at the edge."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from bot import engine
from bot.web import EFFECT_HANDLERS
from tests.helpers import FLOWS, ROOT, TRANSLATOR

NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def test_importing_the_engine_pulls_in_no_flask_redis_twilio_or_rq():
    code = ("import sys, bot.engine; bad = [m for m in ('flask', 'redis', 'twilio', 'rq', 'werkzeug') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_effect_type_has_exactly_one_handler():
    assert set(EFFECT_HANDLERS) == set(engine.EFFECT_TYPES)


def test_step_is_a_function_of_its_arguments():
    flows = FLOWS
    vocabulary = engine.Vocabulary.build(flows, TRANSLATOR.text)
    state = engine.State("rights:menu", "es", ("main:menu",))
    first = engine.step(flows, vocabulary, state, "1", NOW)
    again = engine.step(flows, vocabulary, state, "1", NOW)
    assert first == again
    assert first.state.node == "rights:door" and first.state.history == ("main:menu", "rights:menu")
    assert first.says[0].id == "rights:door"


def test_stop_asks_the_edge_to_cancel_and_keeps_no_state():
    flows = FLOWS
    vocabulary = engine.Vocabulary.build(flows, TRANSLATOR.text)
    turn = engine.step(flows, vocabulary, engine.State("main:menu", "en"), "STOP", NOW)
    assert turn.state is None and turn.effects == (engine.OptOutRequested(),)


def test_a_saved_state_from_older_flows_is_dropped():
    flows = FLOWS
    assert engine.State.from_dict({"n": "gone:node", "l": "en"}, flows) is None
    assert engine.State.from_dict({"n": "main:menu", "l": "xx"}, flows) is None
    assert engine.State.from_dict({"nonsense": 1}, flows) is None
