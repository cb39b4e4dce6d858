"""Training the embedded default backend (:mod:`core.classify.linear` loads and predicts).

``train_linear`` is the entry point; the modules split its job: :mod:`.examples` (what it
learns from), :mod:`.fit` (views and SVMs), :mod:`.calibrate` (the softmax temperature).
"""

from training.linear.fit import ancestor_groups
from training.linear.train import train_linear

__all__ = ["ancestor_groups", "train_linear"]
