"""LINE Messaging API over HTTP: pure request builders and answer readers, and one thin
``requests`` call (``call``). The base URL is ``LINE_API_URL`` (default
``https://api.line.me``), so tests point it at a local fake.

Documented shapes (https://github.com/line/line-openapi, messaging-api.yml):

* push ``POST /v2/bot/message/push`` with ``{"to", "messages"}`` and ``X-Line-Retry-Key`` (a
  UUID kept on the outbox row: a retried request with the same key is not delivered twice and
  is answered 409);
* reply ``POST /v2/bot/message/reply`` with ``{"replyToken", "messages"}``;
* 200 sent; 409 the retry key was accepted before (sent); 429 rate limit or monthly quota
  (nothing sent, retry later); 5xx and no answer: retry; any other 4xx: permanent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import requests

DEFAULT_BASE = "https://api.line.me"
PUSH = "/v2/bot/message/push"
REPLY = "/v2/bot/message/reply"


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (connection error, timeout)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    result: str  # "sent", "retry" or "failed"
    detail: str = ""


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def push_request(base: str, token: str, to: str, messages: list[dict], retry_key: str) -> Request:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "X-Line-Retry-Key": retry_key,
    }
    return Request(base.rstrip("/") + PUSH, headers, _json({"to": to, "messages": messages}))


def reply_request(base: str, token: str, reply_token: str, messages: list[dict]) -> Request:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = _json({"replyToken": reply_token, "messages": messages})
    return Request(base.rstrip("/") + REPLY, headers, body)


def _message(answer: Answer) -> str:
    """LINE's ``message`` (and the first ``details``) from an error body, else the status."""
    try:
        data = json.loads(answer.body or b"{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    words = str(data.get("message") or "")[:200]
    details = data.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        words += f" ({details[0].get('property', '')}: {details[0].get('message', '')})"[:200]
    return f"LINE {answer.status}: {words}".strip() if answer.status else "LINE: no answer"


def read_push(answer: Answer) -> Outcome:
    """What a push's answer means for the outbox row."""
    if answer.status == 200:
        return Outcome("sent")
    if answer.status == 409:  # the retry key was accepted before: it went out then
        return Outcome("sent", "LINE 409: already accepted (retry key)")
    if answer.status == 0 or answer.status == 429 or answer.status >= 500:
        return Outcome("retry", _message(answer))
    return Outcome("failed", _message(answer))


def call(req: Request, timeout: float) -> Answer:
    """POST ``req``; a connection error or timeout is ``Answer(0)``, never an exception."""
    try:
        resp = requests.post(req.url, data=req.body, headers=req.headers, timeout=timeout)
    except requests.RequestException:
        return Answer(0)
    return Answer(resp.status_code, resp.content[:4000], dict(resp.headers))
