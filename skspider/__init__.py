"""skspider: which pre-trained model should I fine-tune?

Model Spider (Zhang et al., NeurIPS 2023) and the transferability baselines it is measured
against, as scikit-learn-compatible estimators. Subpackages (see ``docs/layout.rst``):
`skspider.base`, `skspider.metrics`, `skspider.dummy`, `skspider.datasets`, `skspider.utils`.
"""

from ._version import __version__

__all__ = ["__version__"]
