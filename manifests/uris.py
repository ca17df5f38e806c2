"""Credentials written into a URI (scheme://KEY:SECRET@bucket/prefix), found without touching anything.

AWS secret keys often hold `/` (about half of them), so the user info is everything between `://` and
the first `@` when what comes before the first `:` has no `/`: `s3://AKIA...:wJalr/K7MDENG@bucket/in`
carries a key and a secret, `s3://bucket/a:b@c` does not. Pure: nothing is remembered or changed here.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

# scheme://KEY:SECRET@rest or scheme://TOKEN@rest; KEY and TOKEN never hold '/', ':' or '@', SECRET never '@'.
_WITH_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*://)(?P<key>[^:/@\s]+)(?::(?P<secret>[^@\s]*))?@(?P<rest>.*)$",
                            re.DOTALL)
# The same inside any text (a log line, an error), for masking.
USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)[^:/@\s]+(?::[^@\s]*)?@")


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """(the URI without user info, key, secret); key and secret are None when it carries none."""
    match = _WITH_USERINFO.match(uri or "")
    if match is None:
        return uri, None, None
    secret = match["secret"]
    return match["scheme"] + match["rest"], unquote(match["key"]), unquote(secret) if secret else None


def has_credentials(uri: str | None) -> bool:
    return uri is not None and split_credentials(uri)[1] is not None
