"""A resumable training run's checkpoint: the state file(s) and the marker that says which step they hold.

The marker ``<path>.json`` (``{"step", "fingerprint"}``) is written after the state it points to and
removed before it, so a marker always names a complete state: a run killed while saving resumes from
the previous one. The fingerprint says whose run it is (the params and the exact training data); a
checkpoint of another run is never resumed. The transformers backend keeps its state here through
``save``/``load``; the gpt2simple backend keeps the library's run folder under ``folder`` and records
each step the library saved with ``mark``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from elm.io import atomic_path


class Checkpoint:
    def __init__(self, path: Path | str, fingerprint: str):
        self.path, self.fingerprint = Path(path), fingerprint
        self.folder = self.path.parent  # the checkpoint's alone: ``clear`` removes it
        self.marker = self.path.with_suffix(".json")

    def step(self) -> int:
        """The step this run last saved, 0 when there is nothing of this run's to resume."""
        if not self.marker.exists():
            return 0
        saved = json.loads(self.marker.read_text())
        return saved["step"] if saved["fingerprint"] == self.fingerprint else 0

    def mark(self, step: int) -> None:
        """Record that the state of ``step`` is complete."""
        with atomic_path(self.marker) as tmp:
            tmp.write_text(json.dumps({"step": step, "fingerprint": self.fingerprint}))

    def _state_file(self, step: int) -> Path:
        return self.path.with_name(f"{self.path.stem}-{step}{self.path.suffix}")

    def save(self, step: int, state: dict) -> None:
        """``state`` (tensors and plain values) as the state of ``step``, then the marker, then the
        previous state goes."""
        import torch

        with atomic_path(self._state_file(step)) as tmp:
            torch.save(state, tmp)
        self.mark(step)
        for old in self.folder.glob(f"{self.path.stem}-*{self.path.suffix}"):
            if old != self._state_file(step):
                old.unlink()

    def load(self) -> dict | None:
        """The state the marker names, or None when this run has none."""
        import torch

        step = self.step()
        return torch.load(self._state_file(step), weights_only=True) if step else None

    def clear(self) -> None:
        """Forget the checkpoint (the marker first: without it nothing resumes), and its folder."""
        self.marker.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)
