"""Training: the fit loop, its callbacks, the full-batch objective and L-BFGS, divergence.

* :mod:`~sigmanet.training.loop`: :func:`train`, the one loop for batch, stochastic and
  mini-batch gradient descent;
* :mod:`~sigmanet.training.callbacks`: the hooks :func:`train` calls, early stopping, the
  progress bar and scikit-learn's verbose lines;
* :mod:`~sigmanet.training.full_batch`: the objective as sums over blocks of rows, and L-BFGS;
* :mod:`~sigmanet.training.divergence`: when training has diverged;
* :mod:`~sigmanet.training.data`: checking the rows and holding some out for validation.
"""

from sigmanet.training.callbacks import (
    Callback,
    EarlyStopping,
    IterationPrinter,
    LambdaCallback,
    ProgressBar,
    progress_callbacks,
)
from sigmanet.training.data import check_rows, training_rows, validation_split
from sigmanet.training.divergence import (
    DIVERGENCE_ADVICE,
    DIVERGENCE_FACTOR,
    REFERENCE_BLOCK_VALUES,
    REFERENCE_ROWS,
    DivergenceRule,
)
from sigmanet.training.full_batch import (
    BlockSums,
    FullBatchObjective,
    LbfgsResult,
    block_sums,
    minimize_lbfgs,
    objective_from_sums,
    train_lbfgs,
)
from sigmanet.training.loop import History, train

__all__ = [
    "DIVERGENCE_ADVICE",
    "DIVERGENCE_FACTOR",
    "REFERENCE_BLOCK_VALUES",
    "REFERENCE_ROWS",
    "BlockSums",
    "Callback",
    "DivergenceRule",
    "EarlyStopping",
    "FullBatchObjective",
    "History",
    "IterationPrinter",
    "LambdaCallback",
    "LbfgsResult",
    "ProgressBar",
    "block_sums",
    "check_rows",
    "minimize_lbfgs",
    "objective_from_sums",
    "progress_callbacks",
    "train",
    "train_lbfgs",
    "training_rows",
    "validation_split",
]
