"""dvc.yaml's code deps are exact, and a code change reruns only the stages that run that code.

Two kinds of proof. From the source: each stage lists every project module its entry point imports, directly or
through others (so a change there reruns it), and no module it never imports (so a change elsewhere does not);
``${finetune.backend}`` in a dep stands for the backend in use, and a stage imports only that backend's package.
And with DVC itself, in a temporary copy of the project: touching one file marks exactly the stages expected.
No module of ``elm/`` is part of an import cycle, and the library never imports the command line.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from stage_runner import DVC, GIT_IDENTITY, ROOT, stage_env

PACKAGES = ("elm", "stages")
BACKENDS = ("transformers", "gpt2simple")  # elm/models/<backend>/: one package per finetune.backend value
DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())
DEFAULT_BACKEND = yaml.safe_load((ROOT / "params.yaml").read_text())["finetune"]["backend"]
STAGES = {name: stage for name, stage in DVC_YAML["stages"].items() if stage["cmd"].startswith("python -m stages.")}


def module_file(name: str) -> Path | None:
    """The file of project module ``name`` (``elm.models.format``), or None if it is not one."""
    if name.split(".")[0] not in PACKAGES:
        return None
    path = ROOT.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """The import nodes under ``if TYPE_CHECKING:``: never run, so never a dependency."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(n for child in node.body for n in ast.walk(child))
    return skipped


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere (also inside functions), and every string constant naming a
    project module or package (``f"elm.sources.{source}"``)."""
    names = set()
    tree = ast.parse(path.read_text())
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
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


def other_backends(backend: str) -> tuple[Path, ...]:
    return tuple(ROOT / "elm" / "models" / other for other in BACKENDS if other != backend)


def closure(entry: Path, backend: str = DEFAULT_BACKEND) -> set[Path]:
    """The project files ``entry`` loads with ``finetune.backend`` = ``backend``: its imports, theirs, and the
    packages' ``__init__.py`` on the way; another backend's package is never loaded (stages import the backend
    in use only)."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen or any(folder in path.parents for folder in other_backends(backend)):
            continue
        seen.add(path)
        for name in imported_names(path):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py too
                found = module_file(".".join(parts[:depth]))
                if found:
                    todo.append(found)
    return seen


def declared(stage: dict, backend: str = DEFAULT_BACKEND) -> list[Path]:
    deps = [(d if isinstance(d, str) else next(iter(d))).replace("${finetune.backend}", backend)
            for d in stage.get("deps", [])]
    return [ROOT / d for d in deps if Path(d).parts[0] in PACKAGES]


def entry_point(name: str) -> Path:
    return ROOT / "stages" / f"{STAGES[name]['cmd'].split('stages.')[1].split()[0]}.py"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_depends_on_exactly_the_code_it_imports(name, backend):
    needed = closure(entry_point(name), backend)
    deps = declared(STAGES[name], backend)
    missing = sorted(str(p.relative_to(ROOT)) for p in needed
                     if not any(p == d or d in p.parents for d in deps))
    assert not missing, f"dvc.yaml: stage {name} imports these but does not list them in deps: {missing}"
    if backend != DEFAULT_BACKEND:  # a shared module only the default backend uses costs another backend a rerun
        return
    unused = sorted(str(d.relative_to(ROOT)) for d in deps
                    if not any(p == d or d in p.parents for p in needed))
    assert not unused, f"dvc.yaml: stage {name} lists these deps but never imports them: {unused}"


def test_dvc_yaml_names_every_artefact_path_of_elm_paths():
    """Each dep and out of dvc.yaml outside the code is a path of elm/paths.py (or a folder of one), so the
    stages and dvc.yaml cannot drift apart."""
    from elm import paths

    known = {str(value) for value in vars(paths).values() if isinstance(value, Path)}
    listed = set()
    for stage in DVC_YAML["stages"].values():
        for kind in ("deps", "outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                path = entry if isinstance(entry, str) else next(iter(entry))
                if Path(path).parts[0] not in PACKAGES and "${" not in path:
                    listed.add(path)
    unknown = sorted(p for p in listed if p not in known and not any(k.startswith(p + "/") for k in known))
    assert not unknown, f"dvc.yaml names paths that elm/paths.py does not: {unknown}"


def test_no_module_of_elm_is_part_of_an_import_cycle_and_none_imports_the_command_line():
    modules = {path: {found for name in imported_names(path) for found in [module_file(name)] if found}
               for path in (ROOT / "elm").rglob("*.py")}
    cli, main = ROOT / "elm" / "cli.py", ROOT / "elm" / "__main__.py"  # the entry points' own modules
    importers = sorted(str(p.relative_to(ROOT)) for p, imports in modules.items() if cli in imports and p != main)
    assert not importers, f"the library imports the command line (elm/cli.py): {importers}"

    def reaches(start: Path, goal: Path) -> bool:
        seen, todo = set(), list(modules.get(start, ()))
        while todo:
            path = todo.pop()
            if path == goal:
                return True
            if path not in seen:
                seen.add(path)
                todo.extend(modules.get(path, ()))
        return False

    in_cycles = sorted(str(p.relative_to(ROOT)) for p in modules if reaches(p, p) and p != cli)
    assert not in_cycles, f"modules of elm/ in an import cycle: {in_cycles}"


# ---------------------------------------------------------------- DVC itself, in a copy of the project


@pytest.fixture(scope="module")
def reproduced_copy(tmp_path_factory) -> Path:
    """A git + DVC repo holding the project's code, params and dvc.yaml, with every stage's deps and outs faked
    as present and recorded in dvc.lock (`dvc commit`), so `dvc status` compares code hashes only."""
    project = tmp_path_factory.mktemp("deps") / "project"
    project.mkdir()
    for name in ("elm", "stages", "dvc.yaml", "params.yaml", ".dvcignore"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    env = {**stage_env(), **GIT_IDENTITY}

    def run(*command):
        subprocess.run(command, cwd=project, env=env, check=True, capture_output=True, text=True)

    run("git", "init", "-q")
    run(DVC, "init", "-q")
    for stage in DVC_YAML["stages"].values():  # every data dep and output exists, with some content
        for kind in ("deps", "outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                path = project / (entry if isinstance(entry, str) else next(iter(entry)))
                if Path(path).relative_to(project).parts[0] in PACKAGES or "${" in str(path) or path.exists():
                    continue
                if path.suffix:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("{}\n" if path.suffix == ".json" else "x\n")
                else:
                    path.mkdir(parents=True, exist_ok=True)
                    (path / "placeholder").write_text("x\n")
    run(DVC, "commit", "-f", "-q")
    assert stale_stages(project) == set(), "dvc commit left stages changed"
    run("git", "add", "-A")
    run("git", "commit", "-qm", "start")
    return project


def stale_stages(project: Path) -> set[str]:
    """The stages `dvc status` says must rerun."""
    done = subprocess.run([DVC, "status", "--json"], cwd=project, env=stage_env(), capture_output=True, text=True,
                          check=True)
    return set(json.loads(done.stdout or "{}"))


def touched(project: Path, relative: str, line: str) -> set[str]:
    """The stages `dvc status` marks after appending ``line`` to ``relative`` (the file is restored after)."""
    path = project / relative
    original = path.read_bytes()
    try:
        path.write_bytes(original + line.encode())
        return stale_stages(project)
    finally:
        path.write_bytes(original)


@pytest.mark.parametrize("relative, line, expected", [
    # the sampler: generation only (classify, likelihood and the rest read the model, not the sampler)
    ("elm/models/transformers/generate.py", "# a comment\n", {"generate"}),
    # the training loop: fine-tuning only; generate's code deps stay as they were
    ("elm/models/transformers/train.py", "# a comment\n", {"finetune"}),
    # the generate section's schema: generate only, never scrape, clean or finetune
    ("elm/params/generate.py", "# a comment\n", {"generate"}),
    # the scorer: the likelihood stage only
    ("elm/models/transformers/score.py", "# a comment\n", {"likelihood"}),
    # the link rules: the stages that clean posts or show them
    ("elm/links.py", "# a comment\n", {"clean", "generate", "report", "feed"}),
    # the gpt2simple backend is not in use: nothing reruns
    ("elm/models/gpt2simple/train.py", "# a comment\n", set()),
    ("elm/models/gpt2simple/generate.py", "# a comment\n", set()),
])
def test_dvc_reruns_exactly_the_stages_that_run_a_touched_file(reproduced_copy, relative, line, expected):
    assert touched(reproduced_copy, relative, line) == expected


def test_dvc_reruns_the_stages_of_one_params_section_only(reproduced_copy):
    params = reproduced_copy / "params.yaml"
    original = params.read_text()
    try:
        params.write_text(re.sub(r"(?m)^(  temperature: )1\.0", r"\g<1>0.9", original, count=1))
        assert stale_stages(reproduced_copy) == {"generate"}
    finally:
        params.write_text(original)
