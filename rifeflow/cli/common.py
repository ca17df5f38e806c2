"""What several commands share: the --json flag, and credentials moved from URIs into the environment."""
from __future__ import annotations

import argparse
import os


def json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")


def credentials_to_environment(*uris: str | None) -> list[str | None]:
    """The URIs without user info; credentials found in them go where s3fs looks (the environment), before
    anything records a URI. One pair for the whole command: two different ones are refused."""
    from rifeflow.errors import OptionError
    from rifeflow.storage.secrets import take_credentials

    clean, found = [], set()
    for uri in uris:
        if uri is None:
            clean.append(None)
            continue
        uri, key, secret = take_credentials(uri)
        if key is not None:
            found.add((key, secret))
        clean.append(uri)
    if len(found) > 1:
        raise OptionError("the URIs carry different credentials: give them through the environment or an AWS "
                          "profile instead (one set of credentials per command)")
    for key, secret in found:
        if not secret:
            raise OptionError("a URI carries a key without a secret (user@): give credentials through the "
                              "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an AWS profile")
        os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = key, secret
    return clean
