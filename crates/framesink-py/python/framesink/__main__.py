"""``python -m framesink ...``: the same command line as the ``framesink`` binary."""

from __future__ import annotations

import sys

from ._framesink import cli_main


def main() -> None:
    sys.exit(cli_main(["framesink", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
