"""``python -m skspider``: the command line (see `skspider.cli`)."""

import sys

from skspider.cli import main

if __name__ == "__main__":
    sys.exit(main())
