"""dvc.yaml's code deps are exact: each stage lists every project module its entry point imports,
directly or through others (so a code change reruns it), and no module it never imports (so a change
elsewhere does not). Derived from the source, so drift between code and dvc.yaml cannot land."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from stage_runner import ROOT

PACKAGES = ("elm", "stages")
DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = {name: stage for name, stage in DVC_YAML["stages"].items() if stage["cmd"].startswith("python -m stages.")}


def module_file(name: str) -> Path | None:
    """The file of project module ``name`` (``elm.models.hf``), or None if it is not one."""
    if name.split(".")[0] not in PACKAGES:
        return None
    path = ROOT.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere (also inside functions), and every string constant naming a
    project module or package (``importlib.import_module(BACKENDS[name])``, ``f"elm.sources.{source}"``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("elm."):
            names.add(node.value.rstrip("."))
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                and str(node.values[0].value).startswith("elm."):
            package = str(node.values[0].value).rstrip(".")  # f"elm.sources.{source}": any module of the package
            names.update(f"{package}.{p.stem}" for p in ROOT.joinpath(*package.split(".")).glob("*.py"))
    return names


def closure(entry: Path) -> set[Path]:
    """The project files ``entry`` loads: its imports, theirs, and the packages' ``__init__.py`` on the way."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py too
                found = module_file(".".join(parts[:depth]))
                if found:
                    todo.append(found)
    return seen


def declared(stage: dict) -> list[Path]:
    deps = [ROOT / (d if isinstance(d, str) else next(iter(d))) for d in stage.get("deps", [])]
    return [d for d in deps if d.relative_to(ROOT).parts[0] in PACKAGES]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_depends_on_exactly_the_code_it_imports(name):
    entry = ROOT / "stages" / f"{STAGES[name]['cmd'].split('stages.')[1].split()[0]}.py"
    needed = closure(entry)
    deps = declared(STAGES[name])
    missing = sorted(str(p.relative_to(ROOT)) for p in needed
                     if not any(p == d or d in p.parents for d in deps))
    assert not missing, f"dvc.yaml: stage {name} imports these but does not list them in deps: {missing}"
    unused = sorted(str(d.relative_to(ROOT)) for d in deps
                    if not any(p == d or d in p.parents for p in needed))
    assert not unused, f"dvc.yaml: stage {name} lists these deps but never imports them: {unused}"
