"""Central-difference gradient checks, public so users can verify their own code.

The estimate of ∂f/∂x_i is the central difference ``(f(x + ε e_i) - f(x - ε e_i)) / 2ε``,
whose error is O(ε²). An analytic gradient ``g`` passes when, elementwise,
``|g - ĝ| <= atol + rtol · |ĝ|``. The defaults follow the precision of the dtype:

=========  ======  =====  =====
dtype      ε       atol   rtol
=========  ======  =====  =====
float64    1e-6    1e-5   1e-3
float32    1e-3    1e-2   1e-2
=========  ======  =====  =====

Examples
--------
Check your own activation before registering it:

>>> import numpy as np
>>> from sigmanet.gradcheck import check_derivative
>>> result = check_derivative(np.sin, np.cos, np.linspace(-3, 3, 7))
>>> result.passed
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigmanet._arrays import as_float_array
from sigmanet.constraints import Interval, check
from sigmanet.exceptions import GradientCheckError

__all__ = [
    "GradcheckResult",
    "check_activation",
    "check_derivative",
    "check_layer",
    "check_loss",
    "check_network",
    "default_tolerances",
    "numerical_gradient",
]


def default_tolerances(dtype: Any) -> tuple[float, float, float]:
    """``(eps, atol, rtol)`` for ``dtype``: see the module docstring."""
    if np.dtype(dtype) == np.float32:
        return 1e-3, 1e-2, 1e-2
    return 1e-6, 1e-5, 1e-3


@dataclass
class GradcheckResult:
    """The outcome of a check: the two gradients and their worst disagreement."""

    name: str
    analytic: np.ndarray
    numerical: np.ndarray
    atol: float
    rtol: float

    @property
    def abs_error(self) -> float:
        """``max |analytic - numerical|``."""
        if self.analytic.size == 0:
            return 0.0
        return float(np.max(np.abs(self.analytic - self.numerical)))

    @property
    def passed(self) -> bool:
        """Whether every element is within ``atol + rtol · |numerical|``."""
        return bool(
            np.all(
                np.abs(self.analytic - self.numerical)
                <= self.atol + self.rtol * np.abs(self.numerical)
            )
        )

    def raise_if_failed(self) -> GradcheckResult:
        """Raise :class:`~sigmanet.exceptions.GradientCheckError` about the worst element, or
        return self."""
        if not self.passed:
            diff = np.abs(self.analytic - self.numerical) - self.rtol * np.abs(self.numerical)
            worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
            raise GradientCheckError(
                f"Gradient check failed for {self.name}: at index {tuple(map(int, worst))} "
                f"the analytic value is {float(self.analytic[worst])!r} and the central difference "
                f"{float(self.numerical[worst])!r} (atol={self.atol}, rtol={self.rtol}; "
                f"max abs error {self.abs_error:.3g})."
            )
        return self


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    ``x`` is perturbed in place one element at a time and restored, so ``f`` may hold a
    reference to it (as when ``x`` is a layer's weight matrix).
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    if not np.shares_memory(flat, x) and x.size:
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place.")
    out = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        upper = float(f(x))
        flat[i] = original - eps
        lower = float(f(x))
        flat[i] = original
        out[i] = (upper - lower) / (2 * eps)
    return grad


def _tolerances(dtype: Any, eps: float | None, atol: float | None, rtol: float | None):
    """The step and tolerances given, checked, or the defaults for ``dtype``."""
    check("eps", eps, [Interval("real", 0, None, closed="neither"), None])
    check("atol", atol, [Interval("real", 0, None), None])
    check("rtol", rtol, [Interval("real", 0, None), None])
    d_eps, d_atol, d_rtol = default_tolerances(dtype)
    return (
        d_eps if eps is None else eps,
        d_atol if atol is None else atol,
        d_rtol if rtol is None else rtol,
    )


def check_derivative(
    f: Callable[[np.ndarray], Any],
    derivative: Callable[[np.ndarray], Any],
    x: Any,
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    name: str = "derivative",
    raise_on_failure: bool = False,
) -> GradcheckResult:
    """Compare an elementwise ``derivative(x)`` with ``(f(x+ε) - f(x-ε)) / 2ε``.

    For elementwise functions all points are checked in one vectorised call. Points closer
    than ε to a kink (0 for ReLU, say) are the caller's to avoid.
    """
    x = as_float_array(x, "x")
    eps, atol, rtol = _tolerances(x.dtype, eps, atol, rtol)
    numerical = (
        np.asarray(f(x + eps), dtype=np.float64) - np.asarray(f(x - eps), dtype=np.float64)
    ) / (2 * eps)
    analytic = np.asarray(derivative(x), dtype=np.float64)
    result = GradcheckResult(name, analytic, numerical, atol, rtol)
    return result.raise_if_failed() if raise_on_failure else result


def check_activation(
    activation: Any,
    x: Any = None,
    *,
    second: bool = True,
    dtype: Any = np.float64,
    raise_on_failure: bool = True,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
) -> list[GradcheckResult]:
    """Check ``f'`` against ``f`` (and ``f''`` against ``f'``) of a registered activation.

    ``activation`` is a name or an object from :func:`sigmanet.activations.get`. The default
    points span [-4, 4] avoiding the kinks of the piecewise-linear activations.
    """
    from sigmanet import activations

    act = activations.get(activation)
    if x is None:
        x = np.linspace(-4.0, 4.0, 41) + 0.0137
    x = np.asarray(x, dtype=dtype)
    results = [
        check_derivative(act, act.derivative, x, eps=eps, atol=atol, rtol=rtol, name=f"{act.name}'")
    ]
    if second:
        try:
            act.second_derivative(x[:1])
        except NotImplementedError:
            pass
        else:
            results.append(
                check_derivative(
                    act.derivative,
                    act.second_derivative,
                    x,
                    eps=eps,
                    atol=atol,
                    rtol=rtol,
                    name=f"{act.name}''",
                )
            )
    if raise_on_failure:
        for result in results:
            result.raise_if_failed()
    return results


def check_loss(
    loss: Any,
    y_true: Any,
    output: Any,
    sample_weight: Any = None,
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    raise_on_failure: bool = True,
) -> GradcheckResult:
    """Check ``loss.gradient`` against central differences of ``loss.value`` in ``output``."""
    output = np.array(as_float_array(output, "output"), copy=True)
    eps, atol, rtol = _tolerances(output.dtype, eps, atol, rtol)
    numerical = numerical_gradient(lambda o: loss.value(y_true, o, sample_weight), output, eps)
    analytic = np.asarray(loss.gradient(y_true, output, sample_weight), dtype=np.float64)
    result = GradcheckResult(f"loss {getattr(loss, 'name', loss)}", analytic, numerical, atol, rtol)
    return result.raise_if_failed() if raise_on_failure else result


def check_layer(
    layer: Any,
    x: Any,
    *,
    random_state: Any = 0,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    raise_on_failure: bool = True,
) -> list[GradcheckResult]:
    """Check a built layer's parameter gradients and ``grad_input``.

    The scalar checked is ``L = Σ output ⊙ r`` for a fixed random ``r``, so ``∂L/∂output = r``
    exercises every output element. Layers are evaluated in inference mode (dropout off).
    """
    x = np.array(as_float_array(x, "x"), dtype=layer.dtype, copy=True)
    eps, atol, rtol = _tolerances(layer.dtype, eps, atol, rtol)
    rng = np.random.default_rng(random_state)
    probe = rng.standard_normal(layer.forward(x).shape).astype(layer.dtype)

    def scalar(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x) * probe, dtype=np.float64))

    layer.forward(x)
    grad_input = np.array(layer.backward(probe), dtype=np.float64, copy=True)
    analytic = {name: np.array(g, dtype=np.float64, copy=True) for name, g in layer.grads.items()}
    results = [
        GradcheckResult(
            f"{type(layer).__name__} grad_input",
            grad_input,
            numerical_gradient(scalar, x, eps),
            atol,
            rtol,
        )
    ]
    for name, value in layer.params.items():
        results.append(
            GradcheckResult(
                f"{type(layer).__name__} {name}",
                analytic[name],
                numerical_gradient(scalar, value, eps),
                atol,
                rtol,
            )
        )
    if raise_on_failure:
        for result in results:
            result.raise_if_failed()
    return results


def check_network(
    network: Any,
    loss: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    raise_on_failure: bool = True,
) -> list[GradcheckResult]:
    """Check backpropagation through a whole network: every parameter's gradient of the loss."""
    X = np.asarray(as_float_array(X, "X"), dtype=network.dtype)
    eps, atol, rtol = _tolerances(network.dtype, eps, atol, rtol)

    def scalar(_: np.ndarray) -> float:
        return float(loss.value(y, network.forward(X), sample_weight))

    output = network.forward(X)
    network.backward(loss.gradient(y, output, sample_weight))
    analytic = [np.array(g, dtype=np.float64, copy=True) for g in network.gradients()]
    results = []
    for (name, value), grad in zip(network.named_parameters(), analytic, strict=True):
        results.append(
            GradcheckResult(
                f"parameter {name}", grad, numerical_gradient(scalar, value, eps), atol, rtol
            )
        )
    if raise_on_failure:
        for result in results:
            result.raise_if_failed()
    return results
