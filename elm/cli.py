"""The command line every stage shares: ``python -m stages.<name> [--params FILE] [--profile FILE]``, and
``log``, the one way stages and the library report progress, notes and warnings (on stderr; a stage's results
go to stdout)."""
from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from elm.errors import ElmError


def log(message: str) -> None:
    """Report progress, a note or a warning to the user: one line on stderr."""
    print(message, file=sys.stderr)


def run(main, doc: str, argv=None, arguments=None) -> None:
    """Parse ``--help``/``--params`` from the stage's docstring, then call ``main(params_path)``.

    ``arguments(parser)``, when given, adds a command's own options; their values are passed to
    ``main`` as keyword arguments.

    A problem the user can fix (an :class:`ElmError`) prints one line naming it and exits 2;
    anything else is a bug and keeps its traceback.
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
    params_path, profile = options.pop("params"), options.pop("profile")
    try:
        if profile:
            with profiled(profile, params_path) as path:
                main(path, **options)
        else:
            main(params_path, **options)
    except ElmError as err:
        log(f"error: {err}")
        sys.exit(2)
    except KeyboardInterrupt:
        log("interrupted: outputs were left as they were before this run")
        sys.exit(130)


@contextlib.contextmanager
def profiled(profile: str, params_path: str):
    """A temporary params file: ``params_path`` with ``profile`` laid over it, validated."""
    import yaml

    from elm import profiles

    data = profiles.merged(profile, params_path)
    with tempfile.TemporaryDirectory(prefix="elm-params-") as folder:
        path = Path(folder) / "params.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        yield str(path)
