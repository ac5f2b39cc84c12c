"""The ``skspider`` command line (also ``python -m skspider``): a thin layer over the package.

Subcommands: ``demo``, ``rank``, ``benchmark``; ``skspider COMMAND --help`` documents each,
with its exit codes.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
