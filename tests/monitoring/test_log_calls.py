"""Every log call in tracking/ and carriers/, read from the syntax trees: none passes a value
whose name says it is personal or secret (an email, a phone, an address, a contact, a token, a
password, a secret, a request body). The journey test (test_no_personal_data.py) runs the code;
this one also covers the calls a journey does not reach."""

from __future__ import annotations

import ast

from tests.support import ROOT

LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
LOGGERS = {"log", "logger", "_log"}
FORBIDDEN = {
    "email",
    "to_address",
    "phone",
    "address",
    "postcode",
    "contact",
    "password",
    "token",
    "secret",
    "secrets",
    "api_key",
    "credentials",
    "comment",
    "question",
    "customer_note",
    "note_text",
    "body",
    "raw",
    "payload",
    "words",  # an SMTP server's reply text (it quotes addresses)
}


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in LEVELS:
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id in LOGGERS
    return isinstance(owner, ast.Attribute) and owner.attr in LOGGERS  # current_app.logger


def _names(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def offending_calls(source: str, filename: str = "<planted>") -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _is_log_call(node):
            values = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "extra"]
            bad = set().union(*(_names(v) for v in values)) & FORBIDDEN if values else set()
            if bad:
                out.append(f"{filename}:{node.lineno} logs {sorted(bad)}")
    return out


def test_no_log_call_passes_a_personal_or_secret_value():
    problems = []
    for package in ("tracking", "carriers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            problems += offending_calls(path.read_text(encoding="utf-8"), rel)
    assert problems == []


def test_the_checker_sees_each_kind_of_call():
    planted = """
log.info("lookup %s by %s", number, contact)
current_app.logger.warning("mail to %s", note.to_address)
logger.error("failed", extra={"fields": {"email": order.email}})
log.warning("mail %s not sent: %s", note.id, words)
log.info("fine: %s %s", order.public_id, shipment.id)
"""
    assert [line.split(" logs ")[1] for line in offending_calls(planted)] == [
        "['contact']",
        "['to_address']",
        "['email']",
        "['words']",
    ]
