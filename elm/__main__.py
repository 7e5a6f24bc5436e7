"""``python -m elm``: the commands of Elm that are not pipeline stages (an entry point: the library never imports it).

    python -m elm profile apply PROFILE    write a profile into params.yaml, comments kept (make profile)
    python -m elm profile args PROFILE     print a profile as `dvc exp run -S` flags (make profile-args)
    python -m elm plots-template           write the offline page `dvc plots show` fills (make setup)
    python -m elm screenshots              docs/report.png and docs/judge.png from reports/ (make screenshots)
"""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from elm.cli import configure_logging
from elm.errors import ElmError

logger = logging.getLogger(__name__)


def profile(command: str, profile_path: str) -> None:
    from elm import profiles

    if command == "apply":
        profiles.apply(profile_path)
        logger.info(f"params.yaml: {profile_path} applied (`git diff params.yaml` shows what changed)")
    else:
        print(shlex.join(profiles.set_args(profile_path)))


def plots_template(root: Path) -> None:
    from elm import offline_plots

    path = offline_plots.install(root)
    logger.info(f"wrote {path} ({path.stat().st_size // 1024} KiB): `dvc plots show` now draws its charts offline")


def screenshots() -> None:
    from elm import screenshots as shots

    for path, shows in shots.take().items():
        logger.info(f"wrote {path}: {shows}")
    logger.info(f"wrote {shots.RECORD}: what each shows, checked by tests/test_report.py against reports/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m elm", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    profiles = commands.add_parser("profile", help="apply a profile to params.yaml, or print it as -S flags")
    profiles.add_argument("action", choices=("apply", "args"))
    profiles.add_argument("profile", help="a profile, e.g. profiles/tiny.yaml")
    template = commands.add_parser("plots-template", help="the page `dvc plots show` fills, with Vega inlined")
    template.add_argument("--root", type=Path, default=Path.cwd(), help="the project's root (default: here)")
    commands.add_parser("screenshots", help="docs/report.png and docs/judge.png from the run in reports/ (run it "
                                            "from the project's root)")
    args = parser.parse_args(argv)
    configure_logging()
    try:
        if args.command == "profile":
            profile(args.action, args.profile)
        elif args.command == "screenshots":
            screenshots()
        else:
            plots_template(args.root)
    except ElmError as err:
        logger.error(f"error: {err}")
        sys.exit(2)


if __name__ == "__main__":
    main()
