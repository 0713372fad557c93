"""Training on Dask arrays whose chunks stay on the workers, and prediction block by block.

* :func:`fit`: full-batch L-BFGS (logistic and softmax regression, MLPs with
  ``solver="lbfgs"``), exact: the objective and its gradient are sums over rows, formed on each
  chunk where it lives and added up (:mod:`sigmanet.dask._full_batch`).
* :func:`fit_stochastic`: the stochastic solvers of the MLPs (``sgd``, ``adam``, ...) and of
  logistic and softmax regression (``sgd``, ``minibatch``, ``adam``), one
  task per block per epoch, run where the block lives, chained so that the model goes from
  block to block without the client; or local SGD with periodic averaging
  (:mod:`sigmanet.dask._sequential`). :func:`block_order` says which order it visits the
  blocks in.
* :func:`predict`, :func:`predict_proba`, :func:`decision_function`: lazy Dask arrays, one
  block per chunk of ``X``.

Requires the optional extra: ``pip install 'sigmanet[dask]'`` (``dask[distributed]``);
``import sigmanet`` does not import this module.
"""

from sigmanet.dask._common import BLOCK_ROWS
from sigmanet.dask._full_batch import fit
from sigmanet.dask._predict import decision_function, predict, predict_proba
from sigmanet.dask._sequential import block_order, fit_stochastic

__all__ = [
    "BLOCK_ROWS",
    "block_order",
    "decision_function",
    "fit",
    "fit_stochastic",
    "predict",
    "predict_proba",
]
