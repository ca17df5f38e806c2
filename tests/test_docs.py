"""The docs cannot rot: the site builds with warnings as errors (a broken link or reference fails), its
reference parts are generated from the code, and every option, flow, task, metrics column, error category
and environment variable the prose names exists, while every one the code has is documented."""
from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "bench" / "README.md"]
# Names of other tools that the prose mentions in backticks.
THEIRS = {"--strict", "prefect-dask", "opencv-python-headless", "low-level-log-length", "dask-cuda"}


def _inline_code(pages=PAGES) -> list[str]:
    """What the pages put in `backticks` outside fenced blocks."""
    found = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        found += re.findall(r"`([^`\n]+)`", text)
    return found


def _fenced_rifeflow_lines() -> list[str]:
    lines = []
    for page in PAGES:
        for block in re.findall(r"```[a-z]*\n(.*?)```", page.read_text(), flags=re.S):
            lines += [ln for ln in block.splitlines() if re.match(r"\s*(\S*/)?rifeflow ", ln)]
    return lines


def _commands() -> dict[str, argparse.ArgumentParser]:
    from rifeflow.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **sub.choices}


def _options() -> set[str]:
    return {flag for p in _commands().values() for a in p._actions for flag in a.option_strings if flag.startswith("--")}


def _bench_options() -> set[str]:
    return {m for p in (ROOT / "bench").glob("*.py") for m in re.findall(r"[\"'](--[a-z][a-z0-9-]*)[\"']", p.read_text())}


def _prefect_names(kind: str) -> set[str]:
    names = set()
    for path in [*(ROOT / "flows").glob("*.py"), *(ROOT / "tasks").glob("*.py")]:
        names |= set(re.findall(rf"@{kind}\(\s*name=\"([a-z-]+)\"", path.read_text()))
    return names


def test_the_site_builds_with_warnings_as_errors_and_its_references_come_from_the_code(tmp_path):
    from rifeflow.metrics.schema import SCHEMA
    from rifeflow.settings import PREFIX, Settings

    mkdocs = Path(sys.executable).parent / "mkdocs"
    built = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-4000:]
    page = {name: (tmp_path / "site" / name / "index.html").read_text() for name in ("cli", "metrics", "operations")}
    assert [o for o in _options() - {"--help"} if o not in page["cli"]] == []
    assert [c for c in SCHEMA.names if f"<code>{c}</code>" not in page["metrics"]] == []
    assert [v for v in (PREFIX + n.upper() for n in Settings.model_fields) if v not in page["operations"]] == []


def test_every_option_the_docs_name_exists():
    named = {o for t in _inline_code() for o in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", t)}
    named |= {o for ln in _fenced_rifeflow_lines() for o in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", ln)}
    assert len(named) > 15
    assert sorted(named - _options() - _bench_options() - THEIRS) == []


def test_every_flow_and_task_is_documented_and_every_one_documented_exists():
    flows, tasks = _prefect_names("flow"), _prefect_names("task")
    assert {"interpolate-catalog", "interpolate-video"} <= flows and len(tasks) >= 6
    commands = set(_commands()) - {""}
    from rife_kernels.names import MODEL_NAMES

    kebab = {t for t in _inline_code() if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", t)}
    artifacts = {m for p in [*(ROOT / "tasks").glob("*.py"), *(ROOT / "rifeflow").rglob("*.py")]
                 for m in re.findall(r"key=\"([a-z-]+)\"", p.read_text())}
    pools = set(re.findall(r"name: ([a-z-]+)", (ROOT / "prefect.yaml").read_text()))
    assert sorted(kebab - flows - tasks - commands - set(MODEL_NAMES) - artifacts - pools - THEIRS) == []
    assert sorted((flows | tasks) - kebab) == []


def _names_in_code() -> set[str]:
    """Functions, classes, parameters and fields defined anywhere in rifeflow."""
    names = set()
    for path in [*(ROOT / "rifeflow").rglob("*.py"), *(ROOT / "manifests").glob("*.py"), *(ROOT / "flows").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            if isinstance(node, ast.arg):
                names.add(node.arg)
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return names


def test_every_column_category_and_threshold_the_docs_name_exists_and_every_column_is_documented():
    import nbformat

    from rifeflow.errors import ERROR_CATEGORIES
    from rifeflow.metrics.schema import SCHEMA

    notebook = nbformat.read(ROOT / "notebooks" / "quality_report.ipynb", as_version=4)
    parameters = next(c.source for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    thresholds = set(re.findall(r"^(\w+) =", parameters, flags=re.M))
    snake = {t for t in _inline_code() if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", t)}
    cascades = {t for t in snake if t.startswith("haarcascade_")}  # OpenCV's files, checked in test_mouth
    unknown = snake - set(SCHEMA.names) - set(ERROR_CATEGORIES) - thresholds - _names_in_code() - cascades
    assert sorted(unknown) == []
    prose = " ".join(_inline_code([ROOT / "docs" / "metrics.md", ROOT / "docs" / "quality.md",
                                   ROOT / "docs" / "analysts.md"]))
    assert [c for c in ERROR_CATEGORIES if c not in prose] == []
    assert [t for t in thresholds - {"dest"} if t not in prose] == []


@pytest.mark.parametrize("page", ["README.md", "bench/README.md"])
def test_the_readme_stays_short_and_its_links_resolve(page):
    text = (ROOT / page).read_text()
    assert len(text.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith("http"):
            assert (ROOT / page).parent.joinpath(target).exists(), target
