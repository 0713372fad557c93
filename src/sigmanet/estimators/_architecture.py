"""The network an estimator builds from its hyper-parameters, and its hidden layers' outputs.

The hidden layers come from :meth:`NetworkConstruction._hidden_spec` (widths, activation names,
dropout rates): each is a :class:`~sigmanet.layers.Dense` layer and its activation (or one
:class:`~sigmanet.layers.Maxout` layer), then a :class:`~sigmanet.layers.Dropout` layer when
its rate is positive; one :class:`~sigmanet.layers.Dense` output layer ends the network.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from sigmanet import initializers as _initializers
from sigmanet.layers import Activation, Dense, Dropout, Layer, Maxout, PReLU


class NetworkConstruction(BaseEstimator):
    """The layers from the hyper-parameters, their initializers, and ``transform``."""

    def _hidden_spec(self) -> tuple[list[int], list[str], list[float]]:
        """Widths, activation names and dropout rates of the hidden layers."""
        return [], [], []

    def _build_layers(self, n_features: int, n_outputs: int) -> list[Layer]:
        widths, names, dropouts = self._hidden_spec()
        layers: list[Layer] = []
        rng_seed = self._rng.integers(2**32) if dropouts and any(dropouts) else None
        for index, (width, name, rate) in enumerate(zip(widths, names, dropouts, strict=True)):
            init, bias_init = self._initializers_for(name)
            if name == "maxout":
                layers.append(Maxout(width, pieces=self.maxout_pieces, initializer=init))
            else:
                layers.append(Dense(width, initializer=init, bias_initializer=bias_init))
                layers.append(PReLU() if name == "prelu" else Activation(name))
            if rate > 0:
                layers.append(
                    Dropout(rate, random_state=None if rng_seed is None else int(rng_seed) + index)
                )
        init, bias_init = self._initializers_for(None)
        layers.append(Dense(n_outputs, initializer=init, bias_initializer=bias_init))
        return layers

    def _initializers_for(self, activation: str | None) -> tuple[str, str | None]:
        """The initializers of a layer's weights and biases (None: zeros), from ``weight_init``.

        ``"sklearn"``: scikit-learn's MLP, weights and biases alike from U(-a, a) with
        ``a = sqrt(6 / (fan_in + fan_out))``, or ``sqrt(2 / (fan_in + fan_out))`` when the
        activation is logistic (the output layer follows the ``activation`` parameter, as
        there). ``"auto"``: He for the ReLU family, LeCun for SELU, Glorot otherwise. Any
        other name: that initializer. Biases start at zero except with ``"sklearn"``.
        """
        name = getattr(self, "weight_init", "glorot_uniform")
        if name == "sklearn":
            if activation is None:  # the output layer
                logistic = isinstance(self.activation, str) and self.activation in (
                    "logistic",
                    "sigmoid",
                )
            else:
                logistic = activation == "sigmoid"
            sklearn = "glorot_uniform_sigmoid" if logistic else "glorot_uniform"
            return sklearn, sklearn
        if activation is None:
            return "glorot_uniform", None
        return (_initializers.default_for(activation) if name == "auto" else name), None

    def _initialization_random_state(self) -> Any:
        """What the initial weights are drawn from.

        With ``weight_init="sklearn"`` and an int, None or ``RandomState`` random_state, the
        legacy ``RandomState`` scikit-learn's MLP draws from, in its order (each layer's
        weights, then its biases), so the same ``random_state`` starts from the same weights
        as there. Otherwise the estimator's generator.
        """
        if getattr(self, "weight_init", None) == "sklearn" and not isinstance(
            self.random_state, np.random.Generator
        ):
            return check_random_state(self.random_state)
        return self._rng

    # -- the hidden layers' outputs -------------------------------------------------------
    def transform(self, X: Any, layer: int = -1) -> np.ndarray:
        """The activations of a hidden layer (the last one by default).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        layer : int
            Index among the hidden layers (0 is the first; -1 the last).

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[layer])
        """
        output = self._input(X)
        ends = self._hidden_layer_ends()
        if not ends:
            raise ValueError("This model has no hidden layer to transform to.")
        if not isinstance(layer, numbers.Integral) or not -len(ends) <= layer < len(ends):
            raise ValueError(
                f"layer must be an integer in [{-len(ends)}, {len(ends) - 1}]; got {layer!r}."
            )
        for module in self.network_.layers[: ends[layer]]:
            output = module.forward(output)
        return output

    def _hidden_layer_ends(self) -> list[int]:
        """Index one past the last layer (activation or dropout) of each hidden block."""
        layers = self.network_.layers
        block_end = (Maxout, Activation, PReLU)
        return [
            index + 1
            for index, module in enumerate(layers[:-1])
            if isinstance(module, Dropout)
            or (isinstance(module, block_end) and not isinstance(layers[index + 1], Dropout))
        ]
