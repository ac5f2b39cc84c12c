"""Build the glyph zoo: the package's built-in model zoo with fine-tuned ground truth.

A thin caller of ``skspider build-zoo`` (``skspider.datasets.build_glyph_zoo``): see
``skspider build-zoo --help`` for the options (``--out`` defaults to a user cache folder;
``--out skspider/datasets/data/glyph_zoo`` updates the copy that ships with the package).
"""

import sys

from skspider.cli import main

if __name__ == "__main__":
    sys.exit(main(["build-zoo", *sys.argv[1:]]))
