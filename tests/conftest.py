"""Settings for the whole suite."""

import os

import torch

# `make test` runs pytest-xdist with one worker per core: a torch thread pool per worker
# oversubscribes the cores, and small ops then wait in OpenMP barriers (about 10x slower).
# One torch thread per worker; a plain `pytest` run keeps torch's default.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
