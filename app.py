"""The WSGI entry point gunicorn serves (`app:app`).
Everything is built by create_app from the environment; see bot/config.py for the variables."""

from bot.web import create_app

app = create_app()
