"""The command line states every option's default and choices, and `run`'s agree with CatalogConfig."""
from __future__ import annotations

import argparse
import typing

import pytest

from rifeflow.manifests.config import CatalogConfig
from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES, SCALES
from rifeflow.cli.main import DefaultsShown, build_parser

OWN_FLAGS = {"help", "json", "verbose", "quiet", "func"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.dest not in OWN_FLAGS}


def _shown(value) -> set[str]:
    if isinstance(value, bool):
        return {"(default: on)" if value else "(default: off)"}
    forms = {str(value)} | ({f"{value:g}"} if isinstance(value, float) else set())
    return {f"(default {form})" for form in forms}


def test_every_option_of_every_command_says_what_it_is():
    for name, parser in _subcommands(build_parser()).items():
        for dest, action in _options(parser).items():
            assert action.help, f"rifeflow {name}: {dest} has no help text"


def test_run_has_an_option_for_each_catalog_setting_and_states_its_default():
    run = _options(_subcommands(build_parser())["run"])
    settings = {n: f for n, f in CatalogConfig.model_fields.items() if n not in ("source_uri", "dest_uri")}
    assert set(run) - {"source_uri", "dest_uri"} == set(settings)
    for name, field in settings.items():
        action = run[name]
        assert action.default is None, f"--{name}: an unset option must leave CatalogConfig's default"
        if field.default is not None:
            assert any(form in action.help for form in _shown(field.default)), (name, field.default, action.help)
        else:
            assert "(default" in action.help, name
        if typing.get_origin(field.annotation) is typing.Literal:
            assert set(action.choices) == set(typing.get_args(field.annotation)), name
    assert set(run["model"].choices) == set(MODEL_NAMES) and tuple(run["scale"].choices) == SCALES
    assert CatalogConfig.model_fields["model"].default == DEFAULT_MODEL


@pytest.mark.parametrize("command", ["interpolate", "interpolate-images", "run", "ui", "sample"])
def test_help_shows_defaults_and_choices(command, capsys):
    parser = _subcommands(build_parser())[command]
    assert parser.formatter_class is DefaultsShown
    text = parser.format_help()
    for action in _options(parser).values():
        if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            assert f"default {action.default}" in " ".join(text.split()) or \
                   "default" in (action.help or ""), (command, action.dest)
    if command in ("interpolate", "interpolate-images", "run"):
        assert "{rife-4.25,rife-hdv3}" in text and "0.25,0.5,1.0,2.0,4.0" in text
