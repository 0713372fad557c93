r"""Losses: the value of a batch and its gradient with respect to the model's output.

Every loss reduces the same way: the loss of a sample is the sum over its outputs, the value of
a batch the (weighted) mean over samples, and the gradient is that of the mean, ready to be a
layer's ``grad_output`` (the whole contract is in :mod:`sigmanet.losses.base`).

Which ``output`` each loss expects:

=====================================  =================  =======================================
loss                                   ``output`` is      per-element value ``ℓ(y, x)``
=====================================  =================  =======================================
``squared_error`` (``mse``)            predictions ŷ      ½ (ŷ - y)²
``huber``                              predictions ŷ      ½ r² if abs(r) ≤ δ else δ (abs(r) - ½δ)
``poisson``                            log-means z        exp(z) - y z + y log y - y
``binary_cross_entropy``               probabilities p    -(z log p + (1 - z) log(1 - p))
``binary_cross_entropy_with_logits``   logits x           max(x, 0) - x z + log1p(exp(-abs(x)))
``softmax_cross_entropy_with_logits``  logits x (n, k)    logsumexp(x) - x_y
``hinge``                              decision values x  max(0, 1 - t x)
``squared_hinge``                      decision values x  max(0, 1 - t x)²
=====================================  =================  =======================================

They live by family: :mod:`~sigmanet.losses.regression`, :mod:`~sigmanet.losses.probabilistic`
(cross-entropy, always computed from logits for training) and :mod:`~sigmanet.losses.margin`.
Each is registered in ``REGISTRY`` where it is defined; :func:`get` builds one by name.

A training loop checks its targets once with :meth:`Loss.bind` and evaluates every batch
through the :class:`BoundLoss` it returns, which runs the same arithmetic
(:meth:`Loss.kernel`) as :meth:`Loss.value` and :meth:`Loss.gradient`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from sigmanet.losses import margin, probabilistic, regression
from sigmanet.losses.base import REGISTRY, BoundLoss, Loss

# Each family module lists its losses and their plain functions in its __all__.
from sigmanet.losses.margin import *  # noqa: F403
from sigmanet.losses.probabilistic import *  # noqa: F403
from sigmanet.losses.regression import *  # noqa: F403

__all__ = [
    "REGISTRY",
    "BoundLoss",
    "Loss",
    "get",
    "names",
    *regression.__all__,
    *probabilistic.__all__,
    *margin.__all__,
]

REGISTRY.seal()

#: ``evaluate(y_batch, output, sample_weight, out) -> value``: a :class:`BoundLoss`, or any
#: function of that signature, as a training loop calls it for each batch.
BatchEvaluator = Callable[[np.ndarray, np.ndarray, "np.ndarray | None", np.ndarray], float]


def names() -> list[str]:
    """The registered loss names (without aliases), sorted."""
    return REGISTRY.names()


def get(name: str | Loss | type[Loss], **params: Any) -> Loss:
    """The loss called ``name``, built with ``params``; a :class:`Loss` passes through.

    Parameters
    ----------
    name : str or Loss
        A name from :func:`names` or an alias (``"mse"``, ``"bce_with_logits"``); case and
        surrounding spaces are ignored. A ``Loss`` instance is returned unchanged; a ``Loss``
        subclass is instantiated with ``params``.
    **params
        The loss's parameters, e.g. ``get("huber", delta=2.0)``. ``get(**loss.get_config())``
        rebuilds ``loss``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones and suggests the closest).
    TypeError
        For parameters the loss does not take, or parameters given with a ``Loss`` instance.
    """
    if isinstance(name, Loss):
        if params:
            raise TypeError(
                f"Parameters {sorted(params)} can only be given with a loss name, not with the "
                f"Loss instance {name!r}."
            )
        return name
    if isinstance(name, type) and issubclass(name, Loss):
        cls = name
    elif isinstance(name, str):
        cls = REGISTRY.get(name)
    else:
        raise TypeError(f"loss must be a name (str) or a Loss; got {type(name).__name__}.")
    accepted = [
        parameter.name
        for parameter in inspect.signature(cls.__init__).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unexpected = sorted(set(params) - set(accepted))
    if unexpected:
        raise TypeError(
            f"Loss {cls.name!r} got unexpected parameter(s) {unexpected}; it takes "
            f"{accepted if accepted else 'no parameters'}."
        )
    return cls(**params)
