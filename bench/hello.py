"""The baseline of ``bench/web.py``: a hello-world Flask route, served by the same gunicorn
settings as the app (``gunicorn -c python:tracking.operations.gunicorn_conf --pythonpath bench
hello:app``), so a ratio to it prices Todoku's own work, not the server or the machine."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
