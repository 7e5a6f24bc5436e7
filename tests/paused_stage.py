"""Run ``python -m stages.<name>``, stopped for good right after one chosen call, so that a test can SIGKILL it at
exactly that moment (stage_runner.paused_stage). Test code only: the stage itself runs unchanged.

    python tests/paused_stage.py NAME MODULE:FUNCTION PATH_PART READY_FILE [--no-exchange]

After the first call of MODULE.FUNCTION (``os:rename``, ``os:replace``, ``tempfile:mkstemp``, ...) one of whose
arguments contains PATH_PART, the call's work is done, READY_FILE is created and the process sleeps until it is
killed. ``--no-exchange`` plays a system without renameat2's RENAME_EXCHANGE (NFS, macOS), where elm/replace.py
replaces a directory by two renames: ``elm.replace._exchange`` answers that it cannot swap.
"""
from __future__ import annotations

import importlib
import runpy
import sys
import time
from pathlib import Path


def pause_after(module_name: str, function_name: str, path_part: str, ready: Path) -> None:
    module = importlib.import_module(module_name)
    original = getattr(module, function_name)

    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        if any(path_part in str(value) for value in [*args, *kwargs.values()]):
            ready.touch()
            while True:
                time.sleep(60)
        return result

    setattr(module, function_name, paused)


if __name__ == "__main__":
    name, call, path_part, ready, *options = sys.argv[1:]
    pause_after(*call.split(":"), path_part, Path(ready))
    if "--no-exchange" in options:
        import elm.replace

        elm.replace._exchange = lambda a, b: False
    sys.argv = [f"stages.{name}"]
    runpy.run_module(f"stages.{name}", run_name="__main__", alter_sys=True)
