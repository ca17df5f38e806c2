"""The one options model: validated once with messages that say what is allowed, and every surface
(the API, the command line, the catalog's config, the web page) built from its fields."""
from __future__ import annotations

import argparse
import inspect

import pytest
from pydantic import ValidationError

from rife_kernels.names import MODEL_NAMES, MODES, SCALES
from rifeflow.manifests.config import CatalogConfig
from rifeflow.manifests.options import InterpolationChoices, check_choices
from rifeflow.manifests.records import InterpolationOptions

REFUSED = [
    ({"exp": 5}, "exp must be an integer from 1 to 4 (factor 2, 4, 8 or 16), got 5"),
    ({"exp": True}, "exp must be an integer from 1 to 4"),
    ({"scale": 3.0}, "scale must be one of 0.25, 0.5, 1.0, 2.0, 4.0, got 3.0"),
    ({"model": "rife-9"}, "model must be one of rife-4.25, rife-hdv3, got 'rife-9'"),
    ({"mode": "diagonal"}, "mode must be one of chain, direct, got 'diagonal'"),
    ({"mode": "direct"}, "direct mode needs a model with arbitrary timesteps (--model rife-4.25)"),
    ({"fps": "fast"}, "not a frame rate: 'fast' (examples: 60, 60000/1001, 59.94, 2.5x)"),
    ({"scene_threshold": 2}, "scene_threshold: Input should be less than or equal to 1"),
]


@pytest.mark.parametrize("values, message", REFUSED)
def test_a_bad_choice_is_refused_in_one_line_that_says_what_is_allowed(values, message):
    with pytest.raises(ValueError) as info:
        check_choices(**values)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("values, message", REFUSED)
def test_the_catalog_config_and_the_records_refuse_the_same_choices(values, message):
    for build in (lambda: CatalogConfig(source_uri="in", dest_uri="out", **values),
                  lambda: InterpolationOptions(**values)):
        with pytest.raises(ValidationError, match=message.split(":")[0].split("(")[0]):
            build()


def test_rates_are_stored_exactly_wherever_they_are_given():
    assert check_choices(fps="59.94").fps == "60000/1001"
    assert check_choices(fps=2.5).fps == "5/2"
    assert check_choices(fps="2.5x").fps == "5/2x"
    config = CatalogConfig(source_uri="in", dest_uri="out", fps="29.97")
    assert config.fps == "30000/1001" and config.options("sha").fps == "30000/1001"


def test_the_config_hands_the_same_choices_to_every_chunk():
    config = CatalogConfig(source_uri="in", dest_uri="out", exp=3, model="rife-4.25", mode="direct", scale=0.5,
                           tta=True, scene_threshold=0.0)
    options = config.options("ab" * 32)
    assert options.choices() == config.choices() and options.weights_sha256 == "ab" * 32
    assert set(InterpolationChoices.model_fields) < set(CatalogConfig.model_fields)
    assert set(InterpolationChoices.model_fields) < set(InterpolationOptions.model_fields)


def test_allowed_values_come_from_the_kernels_names():
    fields = InterpolationChoices.model_fields
    assert fields["model"].json_schema_extra["enum"] == sorted(MODEL_NAMES)
    assert tuple(fields["scale"].json_schema_extra["enum"]) == SCALES
    assert tuple(fields["mode"].json_schema_extra["enum"]) == MODES
    schema = CatalogConfig.model_json_schema()["properties"]  # the Prefect UI's form
    assert schema["model"]["enum"] == sorted(MODEL_NAMES) and schema["mode"]["enum"] == list(MODES)


def test_the_api_defaults_are_the_models():
    from rifeflow.api import interpolate_images, interpolate_video

    fields = InterpolationChoices.model_fields
    for function in (interpolate_video, interpolate_images):
        parameters = inspect.signature(function).parameters
        shared = [n for n in fields if n in parameters and n not in ("exp", "scene_threshold", "fps")]
        assert shared == ["model", "scale", "tta", "mode", "fp16"]
        for name in shared:
            assert parameters[name].default == fields[name].default, (function.__name__, name)
    assert inspect.signature(interpolate_video).parameters["scene_threshold"].default == \
        fields["scene_threshold"].default


def test_the_command_line_options_are_the_models():
    from rifeflow.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    fields = InterpolationChoices.model_fields
    for command in ("interpolate", "interpolate-images", "run"):
        actions = {a.dest: a for a in sub[command]._actions}
        for name, field in fields.items():
            if name == "fps" and command == "interpolate-images":
                continue
            action = actions[name]
            assert field.description in action.help, (command, name)
            enum = (field.json_schema_extra or {}).get("enum")
            assert (list(action.choices) if action.choices else None) == enum, (command, name)
            if command == "run" or (command == "interpolate" and name in ("exp", "fps")):
                assert action.default is None  # left to the config's or the API's default
            elif not (command == "interpolate-images" and name == "scene_threshold"):
                assert action.default == field.default, (command, name)
    images = {a.dest: a for a in sub["interpolate-images"]._actions}
    assert images["scene_threshold"].default == 0.0  # an explicit pair is always interpolated
