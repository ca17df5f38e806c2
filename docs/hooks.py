"""MkDocs hook: the reference parts of the docs are made from the code when the site is built, so they
cannot drift from it. A page marks where each goes with an HTML comment such as `<!-- generated: cli -->`."""
from __future__ import annotations

import argparse
import re

MARK = re.compile(r"<!-- generated: ([a-z]+) -->")


def cli_reference() -> str:
    """Every command and option of `rifeflow`, as its parser (built from the options model) has them."""
    from rifeflow.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    parts = []
    for name, sub in commands.choices.items():
        usage = " ".join(sub.format_usage().split()).removeprefix("usage: ")
        parts += [f"### rifeflow {name}", "", helps.get(name) or "", "", f"`{usage}`", "",
                  "| option | meaning |", "|---|---|"]
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            flags = ", ".join(f"`{f}`" for f in action.option_strings) or f"`{action.dest.upper()}`"
            text = sub._get_formatter()._expand_help(action) if action.help else ""
            if action.choices and action.option_strings:
                text += f" (one of: {', '.join(map(str, action.choices))})"
            parts.append(f"| {flags} | {text.replace('|', '/')} |")
        parts.append("")
    return "\n".join(parts)


def generated(name: str) -> str:
    if name == "cli":
        return cli_reference()
    if name == "schema":
        from rifeflow.metrics.schema import markdown_table

        return markdown_table()
    if name == "settings":
        from rifeflow.settings import table

        return table()
    if name == "codecs":
        from rifeflow.manifests.codecs import codec_table

        return codec_table()
    raise ValueError(f"no generated part called {name!r}")


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARK.sub(lambda m: generated(m.group(1)), markdown)
