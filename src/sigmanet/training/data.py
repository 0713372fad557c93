"""The rows a fit trains on: checking them, and holding some out for validation."""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmanet._arrays import as_float_array, as_float_input
from sigmanet.network import Sequential

__all__ = ["check_rows", "training_rows", "validation_split"]


def training_rows(
    network: Sequential, X: Any, y: Any, sample_weight: Any
) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """``(X, y, sample_weight)`` as arrays a fit of ``network`` can use, or a clear error.

    X becomes a float array (or stays a sparse matrix), y an array, the weights a float array;
    their lengths must agree (:func:`check_rows`), X must have rows, and as many features as
    the network's input. Nothing is cast to the network's dtype here.

    Raises
    ------
    ValueError
        Naming what is wrong.
    """
    X = as_float_input(X, "X")
    y = np.asarray(y)
    weight = None if sample_weight is None else as_float_array(sample_weight, "sample_weight")
    check_rows(X, y, weight, "Training")
    if X.shape[0] == 0:
        raise ValueError("Training data is empty: X has 0 samples.")
    if X.shape[-1] != network.input_dim:
        raise ValueError(
            f"X has {X.shape[-1]} features, but the network expects {network.input_dim}."
        )
    return X, y, weight


def check_rows(X: Any, y: Any, weight: Any, what: str) -> None:
    """Refuse rows a fit cannot use: X not 2-D or 3-D, or X, y and weights of other lengths.

    Parameters
    ----------
    X : array of shape (n_samples, n_features) or (n_samples, n_timesteps, n_features)
    y : array of shape (n_samples, ...)
    weight : array of shape (n_samples,) or None
    what : str
        Whose rows they are (``"Training"``, ``"Validation"``), for the message.

    Raises
    ------
    ValueError
        Naming the array and the shapes found.
    """
    if X.ndim not in (2, 3):
        raise ValueError(
            f"{what} X must be 2-D (n_samples, n_features), or 3-D (n_samples, n_timesteps, "
            f"n_features) for recurrent networks; got shape {X.shape}."
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{what} X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    if weight is not None and weight.shape != (X.shape[0],):
        raise ValueError(
            f"{what} sample_weight must have shape ({X.shape[0]},); got {weight.shape}."
        )


def validation_split(
    *arrays: Any,
    fraction: float,
    random_state: Any = None,
    stratify: Any = None,
    min_validation: int = 1,
) -> tuple[list[Any], list[Any]]:
    """Hold out ``fraction`` of the rows of every array, the same rows of each, for validation.

    The one split of sigmanet: the estimators' ``early_stopping`` and the command line's
    ``--validation-fraction`` hold out their validation rows through it. It is scikit-learn's
    ``train_test_split`` (``ceil(fraction · n)`` rows held out, drawn from ``random_state``), so
    an estimator given the same seed holds out the same rows as scikit-learn's MLP.

    With ``stratify`` (class labels, one per row), every class keeps its proportion on both
    sides, as scikit-learn's MLP stratifies: on the labels' indicator columns (one column, "is
    the second class", for two classes; one column per class for more), which picks the same
    rows as scikit-learn given the same seed.

    Parameters
    ----------
    *arrays : arrays (or sparse matrices) with the same number of rows
        What to split, e.g. ``X, y`` or ``X, y, sample_weight``.
    fraction : float
        The share of rows held out, in (0, 1).
    random_state : int, numpy RandomState or None
        Seeds the draw (an int gives the same split every time).
    stratify : array of shape (n_samples,), optional
        Class labels to keep in proportion; None draws the rows without regard to classes.
    min_validation : int, default=1
        The fewest validation rows accepted.

    Returns
    -------
    train, validation : list
        The training and the validation part of each array, in the order given.

    Raises
    ------
    ValueError
        If ``fraction`` is not in (0, 1); if either side would be empty or ``stratify`` is
        given and a class has too few rows to appear on both sides (scikit-learn's words say
        which); or if fewer than ``min_validation`` rows are held out. A caller that accepts an
        unstratified split calls again without ``stratify`` (and should say so).

    Examples
    --------
    >>> import numpy as np
    >>> from sigmanet.training import validation_split
    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    >>> (X_train, y_train), (X_val, y_val) = validation_split(
    ...     X, y, fraction=0.2, random_state=0, stratify=y
    ... )
    >>> X_train.shape, sorted(y_val.tolist())
    ((8, 2), [0, 1])
    """
    from sklearn.model_selection import train_test_split

    if not 0 < fraction < 1:
        raise ValueError(f"The validation fraction must be in (0, 1); got {fraction!r}.")
    if not arrays:
        raise ValueError("validation_split needs at least one array to split.")
    n_rows = arrays[0].shape[0]
    indicator = None
    if stratify is not None:
        classes, index = np.unique(np.asarray(stratify), return_inverse=True)
        if len(classes) <= 2:
            indicator = (index == 1)[:, None]
        else:
            indicator = np.zeros((n_rows, len(classes)), dtype=bool)
            indicator[np.arange(n_rows), index] = True
    parts = train_test_split(
        *arrays, test_size=fraction, random_state=random_state, stratify=indicator
    )
    n_validation = parts[1].shape[0]
    if n_validation < min_validation:
        raise ValueError(
            f"The validation set is too small: {n_validation} row(s) of {n_rows}, at least "
            f"{min_validation} needed. Increase the validation fraction or the number of rows."
        )
    return list(parts[0::2]), list(parts[1::2])
