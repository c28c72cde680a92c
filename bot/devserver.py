"""`rightsline serve` (what `python3 dev.py run` starts): the embedded Redis, gunicorn with the app, one worker.
One process owns the Redis server and shuts it down when the others have stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from bot import config, store


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt  # an operator's or a supervisor's SIGTERM stops everything as Ctrl-C does


def run(port: int, workers: int) -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = config.load({"env": "development"})
    embedded = None
    env = dict(os.environ, RIGHTSLINE_ENV="development")
    if not settings.redis_url:
        embedded = store.EmbeddedRedis(settings.instance_dir / "redis")
        env["REDIS_URL"] = embedded.url
    python = sys.executable
    children = [
        subprocess.Popen([python, "-m", "gunicorn", "-c", str(config.ROOT / "gunicorn.conf.py"),
                          "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "app:app"],
                         cwd=config.ROOT, env=env),
        subprocess.Popen([python, str(config.ROOT / "worker.py")], cwd=config.ROOT, env=env),
    ]
    click.echo(f"\nRights Line is running at http://127.0.0.1:{port} (web + worker, Redis: "
               f"{'embedded under instance/' if embedded else 'REDIS_URL'}).\n"
               f"Talk to it without Twilio, in another terminal:  .venv/bin/rightsline chat   "
               f"(or --lang es)\nCtrl-C stops everything.\n")
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded:
            embedded.shutdown()
