"""Activation functions with their exact first and second derivatives, and a registry.

Every elementwise activation ``f`` comes as three pure functions, ``f(x)``,
``f_derivative(x)`` and ``f_second_derivative(x)``, all taken with respect to the *input*
``x``, grouped by family:

============================================  ================================================
module                                        activations
============================================  ================================================
:mod:`~sigmanet.activations.sigmoidal`        sigmoid (logistic), generalized_logistic,
                                              log_sigmoid, tanh, hard_sigmoid, softsign
:mod:`~sigmanet.activations.rectifiers`       relu, relu6, leaky_relu
:mod:`~sigmanet.activations.exponential`      elu, selu, softplus
:mod:`~sigmanet.activations.gaussian`         gelu, gelu_tanh
:mod:`~sigmanet.activations.self_gated`       silu (swish), mish, hardswish
:mod:`~sigmanet.activations.linear`           identity
:mod:`~sigmanet.activations.softmax_family`   softmax, log_softmax, their Jacobian and
                                              vector-Jacobian products (not elementwise)
============================================  ================================================

The array contract
------------------
Every function here, for float32 and float64 alike:

* accepts any array_like of real numbers and returns an ndarray of the same shape (0-d for
  a scalar); float32 stays float32, integers and booleans become float64; complex numbers,
  strings and objects are refused with a TypeError naming the argument;
* takes the activation's parameters (``alpha``, ``beta``, ...) as keywords; the functions
  ``f`` also take ``out=``, an ndarray of the input's shape (any float dtype) that receives
  the result and is returned;
* raises no overflow, invalid or divide-by-zero warning for any finite input (underflow to
  zero or to a subnormal number is allowed and expected in the tails);
* gives NaN for NaN, and the mathematical limit for ``±inf``;
* wherever the true value is a normal number, agrees with 50-digit references to a few units
  of 1e-16 relative in float64 (the tests demand 1e-13, also for the first derivatives of
  sigmoid, log_sigmoid, tanh, softplus, silu and gelu) and to a few ulps in float32 (tests:
  5e-7). Near a zero of f' (silu, gelu, mish) only absolute accuracy holds.

Compound activations (gelu, gelu_tanh, mish, silu') evaluate float32 input in float64 and
round once; the piecewise-linear ones and sigmoid/tanh/softplus stay in float32. The
``backward`` kernels that work from y (sigmoid, tanh) are accurate to a few eps times
``abs(grad_output)`` absolutely, not relatively where f' is tiny.

The registry
------------
``REGISTRY`` maps names to :class:`ActivationSpec` objects, registered right under each
activation's functions by :func:`~sigmanet.activations.core.define` with their facts: default
initializer, range, limits at ±inf, kinks, parameters. :func:`get` returns an
:class:`Activation`, which bundles ``f``, ``f'``, ``f''`` and a ``backward`` specialised for
speed (``sigmoid``: ``g·y(1-y)`` from the forward output). :func:`register` adds a user's
activation; adding a built-in takes one place: its three functions and a ``define`` call
in its family's module (and their names in that module's ``__all__``).

>>> from sigmanet import activations
>>> act = activations.get("leaky_relu", alpha=0.1)
>>> act
Activation('leaky_relu', alpha=0.1)
>>> act([-1.0, 2.0]).tolist(), act.derivative([-1.0, 2.0]).tolist()
([-0.1, 2.0], [0.1, 1.0])
>>> act.spec.metadata["initializer"], act.range
('he_uniform', (-inf, inf))
"""

from sigmanet.activations import exponential as _exponential
from sigmanet.activations import gaussian as _gaussian
from sigmanet.activations import linear as _linear
from sigmanet.activations import rectifiers as _rectifiers
from sigmanet.activations import self_gated as _self_gated
from sigmanet.activations import sigmoidal as _sigmoidal
from sigmanet.activations import softmax_family as _softmax_family
from sigmanet.activations.core import (
    REGISTRY,
    Activation,
    ActivationSpec,
    bounded_by,
    get,
    names,
    register,
    unregister,
)
from sigmanet.activations.exponential import *  # noqa: F403
from sigmanet.activations.gaussian import *  # noqa: F403
from sigmanet.activations.linear import *  # noqa: F403
from sigmanet.activations.rectifiers import *  # noqa: F403
from sigmanet.activations.self_gated import *  # noqa: F403
from sigmanet.activations.sigmoidal import *  # noqa: F403
from sigmanet.activations.softmax_family import *  # noqa: F403

REGISTRY.seal()

__all__ = [
    "REGISTRY",
    "Activation",
    "ActivationSpec",
    "bounded_by",
    "get",
    "names",
    "register",
    "unregister",
]
__all__ += _exponential.__all__
__all__ += _gaussian.__all__
__all__ += _linear.__all__
__all__ += _rectifiers.__all__
__all__ += _self_gated.__all__
__all__ += _sigmoidal.__all__
__all__ += _softmax_family.__all__
