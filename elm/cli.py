"""The command line every entry point shares: ``python -m stages.<name> [--params FILE] [--profile FILE]``.

Entry points (the stages, ``make profile``, the benchmarks) import this module; the library never does. The
library reports progress, notes and warnings through the standard ``logging`` module (one logger per module,
``logging.getLogger(__name__)``); ``configure_logging`` sends them to stderr as plain lines, once, from the
entry point. A stage's results go to stdout.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path

from elm import replace
from elm.errors import ElmError

logger = logging.getLogger(__name__)
# Whose INFO lines reach the user: Elm's library and entry points (a stage run as ``python -m`` is __main__).
# Other libraries' loggers keep the root's level (WARNING).
OWN_LOGGERS = ("elm", "stages", "benchmarks", "__main__")


class _Stderr(logging.StreamHandler):
    """Writes each message to ``sys.stderr`` as it is at that moment (tests capture it by swapping it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _ignored):
        pass


def configure_logging(level: int = logging.INFO) -> None:
    """One plain line on stderr per message of Elm's own loggers, at ``level`` and above. Idempotent."""
    for name in OWN_LOGGERS:
        own = logging.getLogger(name)
        own.setLevel(level)
        if not any(isinstance(handler, _Stderr) for handler in own.handlers):
            handler = _Stderr()
            handler.setFormatter(logging.Formatter("%(message)s"))
            own.addHandler(handler)
        own.propagate = False


def run(main, doc: str, argv=None, arguments=None) -> None:
    """Parse ``--help``/``--params`` from the stage's docstring, then call ``main(params_path)``.

    ``arguments(parser)``, when given, adds a command's own options; their values are passed to
    ``main`` as keyword arguments.

    Before ``main``, outputs a killed run had begun to replace are completed (:func:`elm.replace.recover`), so that
    even a run that stops at once finds every set of outputs whole. A problem the user can fix (an
    :class:`ElmError`) prints one line naming it and exits 2; anything else is a bug and keeps its traceback.
    """
    title, _, details = doc.strip().partition("\n")
    parser = argparse.ArgumentParser(
        prog=f"python -m {main.__globals__['__spec__'].name}",
        description=title,
        epilog=details.strip() or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--params", default="params.yaml", help="params file to read (default: %(default)s)")
    parser.add_argument("--profile", metavar="FILE",
                        help="a profile (profiles/*.yaml) laid over the params file for this run; nothing is written")
    if arguments is not None:
        arguments(parser)
    options = vars(parser.parse_args(argv))
    configure_logging()
    params_path, profile = options.pop("params"), options.pop("profile")
    try:
        replace.recover()
        if profile:
            with profiled(profile, params_path) as path:
                main(path, **options)
        else:
            main(params_path, **options)
    except ElmError as err:
        logger.error(f"error: {err}")
        sys.exit(2)
    except KeyboardInterrupt:
        logger.error("interrupted: outputs were left as they were before this run")
        sys.exit(130)


@contextlib.contextmanager
def profiled(profile: str, params_path: str):
    """A temporary params file: ``params_path`` with ``profile`` laid over it. The stage validates its own
    section as it loads it (``make profile`` validates every section: elm/profiles.py)."""
    import yaml

    from elm.params.validation import overlay, read

    data = overlay(read(params_path), read(profile))
    with tempfile.TemporaryDirectory(prefix="elm-params-") as folder:
        path = Path(folder) / "params.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        logger.info(f"params: {params_path} with {profile} laid over it, as {path}")
        yield str(path)
