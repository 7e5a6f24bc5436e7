"""``python -m elm profile apply|args PROFILE``: the command line of elm/profiles.py, as the Makefile's ``profile``
and ``profile-args`` targets run it (an entry point: the library never imports it)."""
from __future__ import annotations

import logging
import shlex
import sys

from elm import profiles
from elm.cli import configure_logging
from elm.errors import ElmError

logger = logging.getLogger(__name__)
USAGE = "usage: python -m elm profile apply PROFILE | python -m elm profile args PROFILE"


def main(argv: list[str]) -> None:
    """``profile apply PROFILE`` writes the profile into params.yaml (comments kept); ``profile args PROFILE``
    prints it as ``dvc exp run -S`` flags."""
    configure_logging()
    if len(argv) != 3 or argv[0] != "profile" or argv[1] not in ("apply", "args"):
        sys.exit(USAGE)
    _, command, profile_path = argv
    try:
        if command == "apply":
            profiles.apply(profile_path)
            logger.info(f"params.yaml: {profile_path} applied (`git diff params.yaml` shows what changed)")
        else:
            print(shlex.join(profiles.set_args(profile_path)))
    except ElmError as err:
        logger.error(f"error: {err}")
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
