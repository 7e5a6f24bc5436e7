"""``elm.json``, the manifest in every fine-tuned model folder: which backend wrote it (so ``generate`` and
``likelihood`` load it with that backend's code), the base model and the run's facts."""
from __future__ import annotations

import json
from pathlib import Path

from elm.errors import ElmError

MANIFEST = "elm.json"


def write_manifest(model_dir: Path | str, **fields) -> None:
    (Path(model_dir) / MANIFEST).write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n")


def read_manifest(model_dir: Path | str) -> dict:
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        raise ElmError(f"{path}: not found; {model_dir} is not a model Elm fine-tuned (run `dvc repro finetune` or "
                       f"`dvc pull models/finetuned`)")
    return json.loads(path.read_text())


def check_backend(model_dir: Path | str, backend: str) -> dict:
    """The manifest of ``model_dir``, checked to name ``backend`` (``finetune.backend``, whose code dvc.yaml
    lists for the stages that load the model)."""
    manifest = read_manifest(model_dir)
    if manifest["backend"] != backend:
        raise ElmError(f"{model_dir} was fine-tuned with backend {manifest['backend']!r} but finetune.backend is "
                       f"{backend!r}; set finetune.backend to {manifest['backend']!r} (dvc.yaml runs the code of the "
                       f"backend that params names), or rerun `dvc repro finetune`")
    return manifest
