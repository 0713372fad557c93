"""The :class:`Activation` object and the registry of elementwise activations.

Every elementwise activation is an :class:`ActivationSpec` (its functions, its specialised
backward kernel, its parameters) registered in :data:`REGISTRY` with the facts known about it
(its metadata, see :func:`define`). The family modules call :func:`define` right under the
three functions of each activation; :func:`register` is the same for users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sigmanet._arrays import as_float_array, result_dtype
from sigmanet._numerics.contract import as_input, check_out, check_same_shape, emit, overlaps
from sigmanet.constraints import Constraint, Interval, Satisfies, check
from sigmanet.registry import Registry

__all__ = [
    "REGISTRY",
    "Activation",
    "ActivationSpec",
    "define",
    "get",
    "names",
    "register",
    "unregister",
]

#: A forward kernel ``f(x, out=None, **params)``.
Forward = Callable[..., np.ndarray]
#: A backward kernel ``backward(x, y, grad_output, out, **params)`` that fills ``out``.
Backward = Callable[..., np.ndarray]

#: Any finite real number.
FINITE = Interval("real", None, None)
#: A finite number > 0.
POSITIVE = Interval("real", 0, None, closed="neither")
#: A finite number other than 0.
NONZERO = Satisfies(lambda v: FINITE.accepts(v) and v != 0, "a finite number other than 0")


def parameter(activation: str, name: str, value: Any, constraint: Constraint) -> float:
    """``value`` as a float, if ``constraint`` accepts it.

    Raises
    ------
    sigmanet.constraints.InvalidParameterError
        Naming the activation and the parameter, e.g. ``activation 'softplus': beta must be
        a number > 0; got 0.0.``
    """
    check(name, value, [constraint], owner=f"activation {activation!r}")
    return float(value)


@dataclass(frozen=True)
class ActivationSpec:
    """What an :class:`Activation` computes with: the public protocol of a registered activation.

    Attributes
    ----------
    function, derivative : callable
        ``f(x, **params)`` and ``f'(x, **params)``.
    second_derivative : callable or None
        ``f''(x, **params)``; None if the activation was registered without one.
    defaults : mapping of str to float
        The parameters and their default values.
    constraints : mapping of str to Constraint
        What each parameter may be.
    backward : callable or None
        ``backward(x, y, grad_output, out, **params)`` filling ``out`` with
        ``grad_output ⊙ f'(x)`` without allocating (``y = f(x)``, or None to recompute it);
        None to use ``grad_output * derivative(x)``.
    builtin : bool
        Whether this is one of sigmanet's own activations, whose functions check their input,
        accept ``out=`` and keep the array contract themselves (a user's functions get the
        checks around them).
    metadata : mapping
        The facts registered with it (see :func:`~sigmanet.activations.core.define`).
    """

    function: Forward
    derivative: Callable[..., Any]
    second_derivative: Callable[..., Any] | None
    defaults: Mapping[str, float] = field(default_factory=dict)
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    backward: Backward | None = None
    builtin: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)


#: Every elementwise activation by name (case-sensitive: ``"ReLU"`` is not ``"relu"``).
REGISTRY: Registry[ActivationSpec] = Registry(
    "activation",
    case_sensitive=True,
    hints={
        "softmax": "softmax is not elementwise: use sigmanet.activations.softmax or the "
        "sigmanet.layers.Softmax layer.",
        "log_softmax": "log_softmax is not elementwise: use sigmanet.activations.log_softmax.",
        "maxout": "maxout has weights: use the sigmanet.layers.Maxout layer.",
        "prelu": "prelu learns its slope: use the sigmanet.layers.PReLU layer.",
    },
)

Limits = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


def define(
    name: str,
    function: Forward,
    derivative: Callable[..., Any],
    second_derivative: Callable[..., Any],
    *,
    initializer: str,
    range: tuple[float, float] | Callable[..., tuple[float, float]],
    limits: Limits,
    kinks: tuple[float, ...] = (),
    params: Mapping[str, tuple[float, Constraint]] | None = None,
    backward: Backward | None = None,
    aliases: tuple[str, ...] = (),
) -> ActivationSpec:
    """Register one of sigmanet's activations, right under the definition of its functions.

    Parameters
    ----------
    name : str
        The canonical name.
    function, derivative, second_derivative : callable
        f, f' and f'' as plain functions keeping the array contract (see
        :mod:`sigmanet.activations`); f takes ``out=``, all take the parameters as keywords.
    initializer : str
        The weight initializer that suits it (a name of :mod:`sigmanet.initializers`), read
        by :func:`sigmanet.initializers.default_for`.
    range : (float, float) or callable
        The smallest closed interval holding every value of f on the extended real line;
        a callable of the parameters for an activation whose range depends on them. The
        gates of the recurrent layers take activations with a range within [0, 1].
    limits : ((float, float), (float, float), (float, float))
        ``(f(-inf), f(+inf))``, ``(f'(-inf), f'(+inf))``, ``(f''(-inf), f''(+inf))`` at the
        default parameters.
    kinks : tuple of float
        Where f, f' or f'' jumps (at the default parameters): finite differences must not
        straddle these.
    params : mapping of str to (float, Constraint)
        Each parameter's default value and what it may be.
    backward : callable, optional
        A backward kernel (see :class:`~sigmanet.activations.ActivationSpec`).
    aliases : tuple of str
        Other names.

    Returns
    -------
    ActivationSpec
        What was registered.
    """
    declared = dict(params or {})
    metadata: dict[str, Any] = {
        "initializer": initializer,
        "range": range,
        "limits": limits,
        "kinks": kinks,
    }
    spec = ActivationSpec(
        function,
        derivative,
        second_derivative,
        MappingProxyType({key: default for key, (default, _) in declared.items()}),
        MappingProxyType({key: constraint for key, (_, constraint) in declared.items()}),
        backward,
        builtin=True,
        metadata=MappingProxyType(metadata),
    )
    REGISTRY.register(name, spec, aliases=aliases, **metadata)
    return spec


def pass_gradient(
    x: np.ndarray, y: np.ndarray | None, grad: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """The backward kernel of an activation whose derivative is 1: ``out = grad_output``."""
    np.copyto(out, grad, casting="same_kind")
    return out


class Activation:
    """A registered activation: callable, with exact derivatives.

    Obtain one with :func:`get` (or construct it from a registered name directly).

    Parameters
    ----------
    name : str
        A registered name or alias (see :func:`names`); aliases resolve to the canonical name.
    **params : float
        The activation's parameters, overriding its defaults (e.g. ``alpha`` for
        ``leaky_relu``).

    Attributes
    ----------
    name : str
        Canonical name.
    params : dict[str, float]
        All parameters with their values, defaults included.
    spec : ActivationSpec
        What it computes with: its functions, backward kernel, parameters and metadata.

    Examples
    --------
    >>> act = Activation("sigmoid")
    >>> y = act([0.0, 2.0])
    >>> act.backward([0.0, 2.0], y, [1.0, 1.0])  # σ'(x) from y: y(1-y)
    array([0.25      , 0.10499359])
    >>> act.range
    (0.0, 1.0)
    """

    __slots__ = ("_name", "_params", "_spec")

    def __init__(self, name: str, **params: float) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Activation name must be a str; got {type(name).__name__}.")
        canonical = REGISTRY.canonical(name)
        spec = REGISTRY.get(canonical)
        unknown = sorted(set(params) - set(spec.defaults))
        if unknown:
            if spec.defaults:
                valid = "; valid parameters: " + ", ".join(sorted(spec.defaults))
            else:
                valid = "; it takes no parameters"
            raise TypeError(
                f"Unknown parameter{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))} for activation {canonical!r}{valid}."
            )
        merged = {**spec.defaults, **params}
        self._params = {
            key: parameter(canonical, key, value, spec.constraints.get(key, FINITE))
            for key, value in merged.items()
        }
        self._name = canonical
        self._spec = spec

    @property
    def name(self) -> str:
        return self._name

    @property
    def params(self) -> dict[str, float]:
        return dict(self._params)

    @property
    def spec(self) -> ActivationSpec:
        return self._spec

    @property
    def range(self) -> tuple[float, float] | None:
        """The smallest closed interval holding every value of f at these parameters (None
        if it was not registered)."""
        found = self._spec.metadata.get("range")
        if callable(found):
            found = found(**self._params)
        return None if found is None else (float(found[0]), float(found[1]))

    def __call__(self, x: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
        """f(x), written into ``out`` (same shape as ``x``) when given."""
        spec = self._spec
        if spec.builtin:
            return spec.function(x, out=out, **self._params)
        x = as_input(x)
        check_out(out, x.shape)
        return emit(self._user_result(spec.function, x, "function"), x.dtype, out)

    def derivative(self, x: ArrayLike) -> np.ndarray:
        """f'(x), same shape as ``x``."""
        spec = self._spec
        if spec.builtin:
            return spec.derivative(x, **self._params)
        x = as_input(x)
        return emit(self._user_result(spec.derivative, x, "derivative"), x.dtype, None)

    def second_derivative(self, x: ArrayLike) -> np.ndarray:
        """f''(x), same shape as ``x``.

        Raises
        ------
        NotImplementedError
            For a user-registered activation registered without a second derivative.
        """
        spec = self._spec
        if spec.second_derivative is None:
            raise NotImplementedError(
                f"Activation {self.name!r} was registered without a second derivative; "
                "pass second_derivative= to sigmanet.activations.register to provide one."
            )
        if spec.builtin:
            return spec.second_derivative(x, **self._params)
        x = as_input(x)
        return emit(
            self._user_result(spec.second_derivative, x, "second_derivative"), x.dtype, None
        )

    def backward(
        self,
        x: ArrayLike,
        y: ArrayLike | None,
        grad_output: ArrayLike,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """∂L/∂x = grad_output ⊙ f'(x), given the forward output y = f(x).

        Parameters
        ----------
        x : array_like, any shape
            The forward input.
        y : array_like or None, same shape as ``x``
            The forward output f(x); activations whose f' is cheapest from y (sigmoid:
            y(1-y), tanh: 1-y²) use it. ``None`` recomputes it when needed.
        grad_output : array_like, same shape as ``x``
            ∂L/∂y.
        out : ndarray, optional
            Array of the input's shape to write ∂L/∂x into; for the activations with a
            backward kernel (``ActivationSpec.backward``: sigmoid, tanh, relu,
            leaky_relu, softplus at β = 1, identity) nothing else is allocated, provided
            ``out`` does not overlap ``y`` or ``grad_output``.

        Returns
        -------
        ndarray, same shape as ``x``
        """
        x = as_input(x)
        grad_output = as_float_array(grad_output, "grad_output")
        check_same_shape(x, grad_output, "x", "grad_output")
        y_array = None
        if y is not None:
            y_array = as_float_array(y, "y")
            check_same_shape(x, y_array, "x", "y")
        check_out(out, x.shape)
        kernel = self._spec.backward
        if kernel is None:
            result = np.multiply(self.derivative(x), grad_output)
            return emit(result, result_dtype(x, grad_output), out)
        if out is None:
            if kernel is pass_gradient:
                return grad_output.astype(result_dtype(x, grad_output), copy=False)
            buffer = np.empty(x.shape, dtype=result_dtype(x, grad_output))
            return kernel(x, y_array, grad_output, buffer, **self._params)
        overlapping = [grad_output] if y_array is None else [grad_output, y_array]
        if overlaps(out, *overlapping) and kernel is not pass_gradient:
            buffer = np.empty(x.shape, dtype=result_dtype(x, grad_output))
            kernel(x, y_array, grad_output, buffer, **self._params)
            np.copyto(out, buffer, casting="same_kind")
            return out
        return kernel(x, y_array, grad_output, out, **self._params)

    def kernels(self) -> tuple[Forward, Backward]:
        """``forward(x, out)`` and ``backward(x, y, grad_output, out)`` without argument checks.

        For callers that guarantee what ``__call__`` and :meth:`backward` check: float
        arrays of one shape and dtype, and an ``out`` that overlaps neither ``y`` nor
        ``grad_output`` (the layers, whose buffers are made so). Saves the checks' cost on
        every training step; activations without a backward kernel get the checked methods.

        Returns
        -------
        forward : callable
            ``forward(x, out=None)``, f(x) into ``out``.
        backward : callable
            ``backward(x, y, grad_output, out)``, grad_output ⊙ f'(x) into ``out``.
        """
        spec, params = self._spec, self._params
        if not spec.builtin or spec.backward is None:
            return self.__call__, self.backward
        # partials of module-level functions, so that layers holding them can be pickled
        return partial(spec.function, **params), partial(spec.backward, **params)

    def _user_result(self, function: Callable[..., Any], x: np.ndarray, role: str) -> Any:
        result = np.asarray(function(x, **self._params))
        if result.shape != x.shape:
            raise ValueError(
                f"The {role} of activation {self.name!r} returned shape {result.shape} for "
                f"input of shape {x.shape}; it must be elementwise."
            )
        return result

    def get_config(self) -> dict[str, Any]:
        """``{"name": name, **params}``; ``get(**config)`` rebuilds an equal activation."""
        return {"name": self.name, **self._params}

    def __repr__(self) -> str:
        params = "".join(f", {key}={value!r}" for key, value in self._params.items())
        return f"Activation({self.name!r}{params})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self.name == other.name and self._params == other._params

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self._params.items()))))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.name, self._params))


def _rebuild(name: str, params: dict[str, float]) -> Activation:
    return Activation(name, **params)


def get(name: str | Activation, **params: float) -> Activation:
    """Look up an activation by name (or alias) with its parameters.

    Parameters
    ----------
    name : str or Activation
        A registered name or alias (see :func:`names`). An :class:`Activation` is returned
        as it is (``params`` must then be empty).
    **params : float
        Parameters overriding the defaults, e.g. ``get("leaky_relu", alpha=0.2)``.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid names) or an invalid parameter value.
    TypeError
        For a parameter the activation does not take, or a name that is not a str.
    """
    if isinstance(name, Activation):
        if params:
            raise TypeError(
                f"Parameters {sorted(params)} cannot be applied to an existing Activation "
                f"{name!r}; pass its name instead, e.g. get({name.name!r}, ...)."
            )
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"activation must be a name (str) or an Activation; got {type(name).__name__}."
        )
    return Activation(name, **params)


def names() -> list[str]:
    """Sorted registered activation names, aliases included."""
    return REGISTRY.names(aliases=True)


def bounded_by(low: float, high: float) -> list[str]:
    """Sorted canonical names of the activations whose values, at their default parameters,
    all lie in [low, high] (``bounded_by(0, 1)``: those that can be gates)."""
    found = []
    for entry in REGISTRY.entries():
        value_range = Activation(entry.name).range
        if value_range is not None and low <= value_range[0] and value_range[1] <= high:
            found.append(entry.name)
    return found


def register(
    name: str,
    function: Callable[..., Any],
    derivative: Callable[..., Any],
    second_derivative: Callable[..., Any] | None = None,
    *,
    params: Mapping[str, float] | None = None,
    overwrite: bool = False,
    **metadata: Any,
) -> Activation:
    """Register a user-defined elementwise activation.

    Parameters
    ----------
    name : str
        The new name.
    function, derivative : callable
        ``f(x, **params)`` and ``f'(x, **params)``, taking an ndarray and returning an
        array of the same shape. Check ``derivative`` with
        :func:`sigmanet.gradcheck.check_activation`.
    second_derivative : callable, optional
        ``f''(x, **params)``; without it :meth:`Activation.second_derivative` raises
        NotImplementedError.
    params : mapping of str to float, optional
        Parameter names with their default values (any finite number).
    overwrite : bool
        Replace an existing activation (or alias) of that name.
    **metadata
        Facts as :func:`~sigmanet.activations.core.define` takes them, e.g.
        ``initializer="he_uniform"`` or ``range=(0.0, 1.0)``.

    Returns
    -------
    Activation
        The activation with its default parameters.

    Raises
    ------
    ValueError
        If ``name`` is taken and ``overwrite`` is False, or is empty.
    TypeError
        If a function is not callable or a parameter default is not a real number.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}.")
    if not name.strip():
        raise ValueError("name must be a non-empty string.")
    for role, candidate in (("function", function), ("derivative", derivative)):
        if not callable(candidate):
            raise TypeError(f"{role} must be callable; got {type(candidate).__name__}.")
    if second_derivative is not None and not callable(second_derivative):
        raise TypeError(
            f"second_derivative must be callable or None; got {type(second_derivative).__name__}."
        )
    defaults: dict[str, float] = {}
    for key, value in dict(params or {}).items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"Parameter names must be identifiers; got {key!r}.")
        defaults[key] = parameter(name, key, value, FINITE)
    spec = ActivationSpec(
        function,
        derivative,
        second_derivative,
        MappingProxyType(defaults),
        MappingProxyType(dict.fromkeys(defaults, FINITE)),
        metadata=MappingProxyType(dict(metadata)),
    )
    REGISTRY.register(name, spec, overwrite=overwrite, **metadata)
    return Activation(name)


def unregister(name: str) -> None:
    """Remove a user-registered activation; a replaced built-in gets its original back.

    Raises
    ------
    ValueError
        If ``name`` is not registered, or is a built-in that was never replaced.
    """
    if name not in REGISTRY:
        raise ValueError(f"Activation {name!r} is not registered.")
    REGISTRY.unregister(name)
