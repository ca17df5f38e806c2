"""`rifeflow run`, `report` and `ui`: the catalog side of the command line."""
from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    return None
