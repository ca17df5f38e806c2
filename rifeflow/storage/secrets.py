"""Credentials never leave the process environment: not into logs, parameters, records or messages.

A URI may carry them (s3://KEY:SECRET@bucket/prefix): `split_credentials` takes them out
before the URI goes anywhere, and `redact` masks every known secret value in text that is
about to be logged or stored.
"""
from __future__ import annotations

import json
import logging
import os
import re

from rifeflow.manifests.uris import USERINFO_IN_TEXT, split_credentials

MASK = "***"
_SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD|API_KEY|ACCESS_KEY|_KEY$)", re.IGNORECASE)
_EXTRA: set[str] = set()


def take_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """split_credentials, remembering what it finds so that it is masked from now on: for the places where
    a run starts and moves credentials out of a URI (the command line)."""
    clean, key, secret = split_credentials(uri)
    remember(key, secret)
    return clean, key, secret


def remember(*values: str | None) -> None:
    """Mask these values from now on (credentials that did not come from the environment)."""
    _EXTRA.update(v for v in values if v and len(v) >= 4)


def known_secrets() -> list[str]:
    """Every value to mask, longest first: remembered ones and secrets in the environment as it is now (the
    scan is redone only when the environment or the remembered values changed: it runs for every log record)."""
    key = (tuple(os.environ.items()), len(_EXTRA))
    if _SCANNED.get("key") != key:
        _SCANNED.update(key=key, values=_scan_secrets())
    return _SCANNED["values"]


_SCANNED: dict = {}


def _scan_secrets() -> list[str]:
    values = set(_EXTRA)
    for name, value in os.environ.items():
        if not value or len(value) < 4:
            continue
        if name.startswith("FSSPEC_") and value.lstrip().startswith("{"):
            values.update(_json_secrets(value))
        elif _SECRET_ENV.search(name):
            values.add(value)
    return sorted(values, key=len, reverse=True)


def _json_secrets(blob: str) -> set[str]:
    try:
        options = json.loads(blob)
    except ValueError:
        return {blob}
    found = set()
    stack = [options]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if isinstance(v, (dict, list)):
                    stack.append(v)
                elif isinstance(v, str) and (_SECRET_ENV.search(k) or k.lower() in ("key", "secret", "token", "password")):
                    found.add(str(v))
        elif isinstance(item, list):
            stack.extend(item)
    return {v for v in found if len(v) >= 4}


def redact(text: str) -> str:
    """`text` with user info of URIs and every known secret value masked."""
    if not text:
        return text
    text = USERINFO_IN_TEXT.sub(lambda m: m.group("scheme") + MASK + "@", text)
    for value in known_secrets():
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in every record a handler emits (the message is formatted once, here).

    rifeflow's own errors already say what went wrong in one line, so their tracebacks are dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from rifeflow.errors import RifeflowError

        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and isinstance(record.exc_info[1], RifeflowError):
            record.exc_info, record.exc_text = None, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_redaction() -> None:
    """Put the filter on every handler of the root and Prefect loggers (idempotent)."""
    loggers = [logging.getLogger(), logging.getLogger("prefect"), *[
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
        if name.startswith(("prefect", "distributed", "rifeflow"))]]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
