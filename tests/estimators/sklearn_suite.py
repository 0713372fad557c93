"""Run a test module shipped inside the installed scikit-learn on sigmanet's estimators.

:func:`adopt` imports the module from the scikit-learn package (nothing is copied into this
repository) and rebuilds each of its functions with globals in which the names given (say
``MLPClassifier``) are sigmanet's classes; ``pytest.mark.parametrize`` values that are
scikit-learn's classes are swapped the same way. The rebuilt tests go into the calling test
module, where pytest collects them as its own. scikit-learn's module is left untouched.

A test module using this sets ``SKLEARN_SUITE`` (a label for the summary line) and either
``DESELECTED`` (test name -> reason) or a ``deselect(item)`` function returning a reason or
None; ``tests/estimators/conftest.py`` deselects those and prints the counts after the run.
"""

from __future__ import annotations

import importlib
import inspect
import types
from collections.abc import Iterable
from typing import Any

import pytest


def adopt(
    module_name: str,
    substitutes: dict[str, Any],
    namespace: dict[str, Any],
    *,
    only: Iterable[str] | None = None,
    suffix: str = "",
) -> list[str]:
    """Put the tests of ``module_name``, with ``substitutes`` in their globals, into ``namespace``.

    Parameters
    ----------
    module_name : str
        e.g. ``"sklearn.neural_network.tests.test_mlp"``.
    substitutes : dict
        Global names of that module and what they become.
    namespace : dict
        The calling module's ``globals()``.
    only : iterable of str, optional
        Adopt only these tests (default: every ``test_*`` function).
    suffix : str
        Appended to each test's name (to adopt one test twice with different substitutes).

    Returns
    -------
    list of str
        The names given to the adopted tests.
    """
    module = importlib.import_module(module_name)
    swap = {id(getattr(module, name)): value for name, value in substitutes.items()}
    new_globals = dict(vars(module))
    new_globals.update(substitutes)
    # helpers defined in the module must see the substitutes too
    for name, value in vars(module).items():
        helper = inspect.isfunction(value) and value.__module__ == module.__name__
        if helper and not name.startswith("test_"):
            new_globals[name] = _rebuild(value, new_globals, swap, name)
    wanted = None if only is None else set(only)
    adopted = []
    for name, value in vars(module).items():
        if not (name.startswith("test_") and inspect.isfunction(value)):
            continue
        if wanted is not None and name not in wanted:
            continue
        test = _rebuild(value, new_globals, swap, name + suffix)
        test.__module__ = namespace["__name__"]
        namespace[name + suffix] = test
        adopted.append(name + suffix)
    if wanted is not None and wanted - {n.removesuffix(suffix) for n in adopted}:
        raise LookupError(f"{module_name} has no tests {sorted(wanted - set(adopted))}")
    marks = getattr(module, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    namespace.setdefault("pytestmark", [])
    for mark in marks:
        mark = getattr(mark, "mark", mark)
        if mark not in namespace["pytestmark"]:
            namespace["pytestmark"].append(mark)
    return adopted


def _rebuild(
    func: types.FunctionType, new_globals: dict[str, Any], swap: dict[int, Any], name: str
) -> types.FunctionType:
    clone = types.FunctionType(
        func.__code__, new_globals, name, func.__defaults__, func.__closure__
    )
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__dict__.update(func.__dict__)
    clone.__qualname__ = name
    if hasattr(func, "pytestmark"):
        clone.pytestmark = [_swap_mark(mark, swap) for mark in func.pytestmark]  # type: ignore[attr-defined]
    return clone


def _swap_mark(mark: pytest.Mark, swap: dict[int, Any]) -> pytest.Mark:
    if mark.name != "parametrize":
        return mark
    names, values, *rest = mark.args
    return pytest.mark.parametrize(
        names, [_swap(v, swap) for v in values], *rest, **mark.kwargs
    ).mark


def _swap(value: Any, swap: dict[int, Any]) -> Any:
    if id(value) in swap:
        return swap[id(value)]
    if isinstance(value, tuple):
        return tuple(_swap(v, swap) for v in value)
    if isinstance(value, list):
        return [_swap(v, swap) for v in value]
    if type(value).__name__ == "ParameterSet":
        return value._replace(values=tuple(_swap(v, swap) for v in value.values))
    return value
