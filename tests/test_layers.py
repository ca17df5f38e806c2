"""The package's layers: the core never imports Prefect or Dask, packages import torch only where the
model runs, and no module grows past a readable size."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ["rifeflow/api.py", "rifeflow/errors.py", "rifeflow/threads.py", "rifeflow/video", "rifeflow/engine",
        "rifeflow/storage", "rifeflow/steps", "rifeflow/metrics", "manifests", "rife_kernels"]
ORCHESTRATORS = ("prefect", "prefect_dask", "dask", "distributed", "rifeflow.orchestration", "rifeflow.flows",
                 "rifeflow.tasks")


def _files(*entries: str) -> list[Path]:
    out = []
    for entry in entries:
        path = ROOT / entry
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_core_imports_neither_prefect_nor_dask_anywhere():
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in _imports(path)
                                                     if n.split(".")[0] in ORCHESTRATORS or n.startswith(ORCHESTRATORS))
                 for path in _files(*CORE)}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 40  # the scan saw the core


def test_importing_all_of_the_core_loads_no_orchestrator():
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in _files(*CORE)]
    modules = [("rifeflow." + m if m.startswith("manifests") else m).removesuffix(".__init__") for m in modules]
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'prefect_dask', 'dask', "
            "'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]", out.stdout


def test_every_package_init_is_torch_free():
    packages = [".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "rifeflow").rglob("__init__.py")]
    assert len(packages) >= 8
    code = (f"import importlib, sys\nfor m in {packages!r}: importlib.import_module(m)\n"
            "import rifeflow.flows, rifeflow.tasks, rifeflow.manifests, rife_kernels\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("folder", ["rifeflow", "flows", "tasks", "manifests", "rife_kernels"])
def test_no_module_is_longer_than_an_afternoon_allows(folder):
    lengths = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _files(folder)}
    assert {k: n for k, n in lengths.items() if n > 300} == {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts = ["rifeflow", *parts] if parts[0] in ("flows", "tasks", "manifests") else parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """rifeflow's modules, each with the rifeflow modules it imports (at the top or inside a function)."""
    paths = {_module_name(p): p for p in _files("rifeflow", "flows", "tasks", "manifests", "rife_kernels")}
    graph = {}
    for name, path in paths.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def test_metrics_is_pure_measurement_and_manifests_stand_alone():
    graph = _import_graph()
    metrics = {m: sorted(d for d in deps if d.startswith(("rifeflow.engine", "rifeflow.video", "rifeflow.steps")))
               for m, deps in graph.items() if m.startswith("rifeflow.metrics")}
    manifests = {m: sorted(d for d in deps if d.startswith(("rifeflow.storage", "rifeflow.engine", "rifeflow.video",
                                                             "rifeflow.steps", "rifeflow.metrics")))
                 for m, deps in graph.items() if m.startswith("rifeflow.manifests")}
    assert len(metrics) >= 8 and len(manifests) >= 8
    assert {m: d for m, d in {**metrics, **manifests}.items() if d} == {}
    # nothing in metrics reaches the package face (rifeflow/__init__: the API, the model) either
    assert not any("rifeflow" in graph[m] for m in metrics)


def test_no_import_cycles_among_rifeflow_modules():
    graph = _import_graph()
    assert len(graph) > 70
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []
