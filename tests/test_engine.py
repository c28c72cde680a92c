"""The engine is pure, and every effect it can ask for has exactly one handler at the edge."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from bot import effects, engine, turn
from bot.turn import Message, State
from bot.vocabulary import Vocabulary
from tests.helpers import FLOWS, ROOT, TRANSLATOR

NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
VOCABULARY = Vocabulary.build(FLOWS, TRANSLATOR.text)


def test_importing_the_engine_pulls_in_no_flask_redis_twilio_or_rq():
    code = ("import sys, bot.engine; bad = [m for m in ('flask', 'redis', 'twilio', 'rq', 'werkzeug') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_effect_type_has_exactly_one_handler():
    assert set(effects.HANDLERS) == set(turn.EFFECT_TYPES)


def test_a_digit_follows_the_menu_and_remembers_the_way_back():
    state = State("rights:menu", "es", ("main:menu",))
    turned = engine.step(FLOWS, VOCABULARY, state, Message("1"), NOW)
    assert turned.state.node == "rights:door" and turned.state.history == ("main:menu", "rights:menu")
    assert turned.says[0].id == "rights:door"


def test_stop_asks_the_edge_to_cancel_and_keeps_no_state():
    turned = engine.step(FLOWS, VOCABULARY, State("main:menu", "en"), Message("STOP"), NOW)
    assert turned.state is None and turned.effects == (turn.OptOutRequested(),)


def test_a_saved_state_from_older_flows_is_dropped():
    assert State.from_dict({"n": "gone:node", "l": "en"}, FLOWS) is None
    assert State.from_dict({"n": "main:menu", "l": "xx"}, FLOWS) is None
    assert State.from_dict({"nonsense": 1}, FLOWS) is None
