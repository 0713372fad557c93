"""One registry for every kind of named thing: activations, losses, optimizers, schedules,
initializers, layers and model-file steps.

A :class:`Registry` maps a name (and its aliases) to an item and the facts known about it
(its *metadata*: an activation's default initializer, a layer's config keys, ...). Every
kind of named thing in sigmanet lives in one, so that

- adding one is one ``register`` where it is defined (usually as a decorator);
- ``get`` of an unknown name is the same clear error everywhere: it names the kind, lists the
  valid names and suggests the closest one;
- a test can walk every registry with the same contract.

Names are case-insensitive and surrounding spaces are ignored unless the registry is made
with ``case_sensitive=True``. Entries present when :meth:`Registry.seal` is called are the
built-ins: they cannot be unregistered, and unregistering a user's replacement of one
restores it.

Examples
--------
>>> from sigmanet.registry import Registry
>>> shapes = Registry("shape")
>>> @shapes.register("square", aliases=("box",), corners=4)
... def square(side):
...     return side * side
>>> shapes.get("Box")(3)
9
>>> shapes.entry("square").metadata["corners"]
4
>>> shapes.get("sqare")
Traceback (most recent call last):
...
ValueError: Unknown shape 'sqare'. Valid names: 'box', 'square'. Did you mean 'square'?
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

__all__ = ["Entry", "Registry"]

T = TypeVar("T")
_MISSING: Any = object()


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered item: its canonical ``name``, the ``item``, its ``aliases`` and
    ``metadata`` (a read-only mapping of whatever its kind records)."""

    name: str
    item: T
    aliases: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Names (and aliases) of one kind of thing, mapped to the things.

    Parameters
    ----------
    kind : str
        What the items are, for messages: ``"activation"``, ``"optimizer"``, ...
    case_sensitive : bool, default=False
        Whether ``"ReLU"`` and ``"relu"`` are different names.
    hints : mapping of str to str, optional
        Advice for names that are *not* registered but that users reach for (e.g. "softmax is
        not elementwise: use the Softmax layer"); it replaces the did-you-mean suggestion.
    """

    def __init__(
        self,
        kind: str,
        *,
        case_sensitive: bool = False,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.case_sensitive = case_sensitive
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}
        self._hints = {self._key(name): text for name, text in (hints or {}).items()}
        self._builtins: dict[str, Entry[T]] | None = None
        self._builtin_aliases: dict[str, str] = {}

    # -- names --------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return name if self.case_sensitive else name.strip().lower()

    def _checked_key(self, name: Any, role: str = "name") -> str:
        if not isinstance(name, str):
            raise TypeError(f"A {self.kind} {role} must be a str; got {type(name).__name__}.")
        key = self._key(name)
        if not key.strip():
            raise ValueError(f"A {self.kind} {role} must be a non-empty string.")
        return key

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = self._key(name)
        return key in self._entries or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"

    def names(self, *, aliases: bool = False) -> list[str]:
        """The registered names, sorted; with ``aliases=True`` the aliases too."""
        found = list(self._entries)
        if aliases:
            found += list(self._aliases)
        return sorted(found)

    def canonical(self, name: str) -> str:
        """The registered name that ``name`` (a name or an alias, in any case) stands for.

        Raises
        ------
        ValueError
            For an unknown name: the message lists the valid names and suggests the closest.
        TypeError
            If ``name`` is not a str.
        """
        if not isinstance(name, str):
            raise TypeError(f"A {self.kind} name must be a str; got {type(name).__name__}.")
        key = self._key(name)
        key = self._aliases.get(key, key)
        if key in self._entries:
            return key
        raise ValueError(self._unknown(name))

    def _unknown(self, name: str) -> str:
        valid = self.names(aliases=True)
        message = f"Unknown {self.kind} {name!r}. Valid names: {', '.join(map(repr, valid))}."
        hint = self._hints.get(self._key(name))
        if hint is not None:
            return f"{message} {hint}"
        close = difflib.get_close_matches(self._key(name), valid, n=1)
        if close:
            message += f" Did you mean {close[0]!r}?"
        return message

    # -- lookup -------------------------------------------------------------------------

    def entry(self, name: str) -> Entry[T]:
        """The :class:`Entry` registered under ``name`` or one of its aliases."""
        return self._entries[self.canonical(name)]

    def get(self, name: str) -> T:
        """The item registered under ``name`` or one of its aliases (see :meth:`canonical`)."""
        return self.entry(name).item

    def entries(self) -> list[Entry[T]]:
        """Every entry, sorted by name."""
        return [self._entries[name] for name in sorted(self._entries)]

    def build(self, name: Any, params: Mapping[str, Any], *, base: type) -> Any:
        """``get(name)(**params)`` for registries of classes; an instance of ``base`` passes
        through unchanged.

        Raises
        ------
        ValueError
            For an unknown name, or ``params`` given together with an instance.
        TypeError
            For a parameter the class does not take (the message lists those it does), or a
            ``name`` that is neither a str nor a ``base``.
        """
        if isinstance(name, base):
            if params:
                raise ValueError(
                    f"get() was given a {self.kind} instance and parameters {sorted(params)}; "
                    "set them on the instance or pass a name."
                )
            return name
        if not isinstance(name, str):
            article = "an" if base.__name__[0] in "AEIOU" else "a"
            raise TypeError(
                f"{self.kind} must be a name or {article} {base.__name__}; "
                f"got {type(name).__name__}."
            )
        cls: Any = self.get(name)
        accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise TypeError(
                f"{cls.__name__} got unexpected parameter(s) {unknown}; it accepts {accepted}."
            )
        return cls(**params)

    # -- registration -------------------------------------------------------------------

    @overload
    def register(
        self,
        name: str,
        *,
        aliases: tuple[str, ...] | list[str] = (),
        overwrite: bool = False,
        **metadata: Any,
    ) -> Callable[[T], T]: ...

    @overload
    def register(
        self,
        name: str,
        item: T,
        *,
        aliases: tuple[str, ...] | list[str] = (),
        overwrite: bool = False,
        **metadata: Any,
    ) -> T: ...

    def register(
        self,
        name: str,
        item: Any = _MISSING,
        *,
        aliases: tuple[str, ...] | list[str] = (),
        overwrite: bool = False,
        **metadata: Any,
    ) -> Any:
        """Register ``item`` under ``name`` and ``aliases``; without ``item``, a decorator.

        Parameters
        ----------
        name : str
            The canonical name.
        item : object, optional
            The thing to register. Omitted, ``register`` returns a decorator that registers
            the function or class it decorates and returns it unchanged.
        aliases : sequence of str
            Other names for the same item.
        overwrite : bool, default=False
            Replace an item already registered under ``name`` (or an alias). A replaced
            built-in comes back with :meth:`unregister`.
        **metadata
            Facts about the item kept in its :class:`Entry`.

        Raises
        ------
        ValueError
            If a name is taken and ``overwrite`` is False, or is empty.
        TypeError
            If a name is not a str.
        """
        if item is _MISSING:

            def decorator(obj: T) -> T:
                self.register(name, obj, aliases=aliases, overwrite=overwrite, **metadata)
                return obj

            return decorator
        key = self._checked_key(name)
        alias_keys = tuple(self._checked_key(alias, "alias") for alias in aliases)
        if not overwrite:
            taken = [n for n in (key, *alias_keys) if n in self._entries or n in self._aliases]
            if taken:
                raise ValueError(
                    f"The {self.kind} name(s) {taken} are already registered; pass "
                    "overwrite=True to replace them."
                )
        for taken_key in (key, *alias_keys):
            self._drop(taken_key)
        self._entries[key] = Entry(key, item, alias_keys, dict(metadata))
        for alias in alias_keys:
            self._aliases[alias] = key
        return item

    def _drop(self, key: str) -> None:
        """Forget ``key`` as a name or an alias (when it is re-registered with overwrite)."""
        target = self._aliases.pop(key, None)
        if target is not None:
            entry = self._entries[target]
            self._entries[target] = Entry(
                entry.name, entry.item, tuple(a for a in entry.aliases if a != key), entry.metadata
            )
        removed = self._entries.pop(key, None)
        if removed is not None:
            for alias in removed.aliases:
                self._aliases.pop(alias, None)

    def seal(self) -> None:
        """Mark the entries registered so far as the built-ins (called once, by the module
        that defines them)."""
        self._builtins = dict(self._entries)
        self._builtin_aliases = dict(self._aliases)

    def is_builtin(self, name: str) -> bool:
        """Whether ``name`` is a built-in that has not been replaced."""
        key = self.canonical(name)
        return self._builtins is not None and self._builtins.get(key) is self._entries[key]

    def unregister(self, name: str) -> None:
        """Remove a user-registered item; a replaced built-in gets its original back.

        Raises
        ------
        ValueError
            If ``name`` is not registered, or is a built-in that was never replaced.
        """
        key = self.canonical(name)
        if self.is_builtin(key):
            raise ValueError(f"The {self.kind} {key!r} is built in and cannot be unregistered.")
        self._drop(key)
        self._restore_alias(key)
        original = (self._builtins or {}).get(key)
        if original is not None:
            for alias in original.aliases:
                self._drop(alias)
            self._entries[key] = original
            for alias in original.aliases:
                self._aliases[alias] = key

    def _restore_alias(self, key: str) -> None:
        """Give a built-in back its alias ``key`` once the user's item that took it is gone."""
        target = self._builtin_aliases.get(key)
        if target is None or key in self._entries or key in self._aliases:
            return
        original = (self._builtins or {})[target]
        current = self._entries.get(target)
        if current is None or current.item is not original.item:
            return
        aliases = tuple(a for a in original.aliases if a == key or self._aliases.get(a) == target)
        self._entries[target] = (
            original
            if aliases == original.aliases
            else Entry(original.name, original.item, aliases, original.metadata)
        )
        self._aliases[key] = target
