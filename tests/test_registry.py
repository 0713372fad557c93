"""The one registry: names, aliases, lookup errors, registration and built-ins.

The contract test at the end walks every registry sigmanet has.
"""

from __future__ import annotations

import pytest

from sigmanet import activations, initializers, layers, losses, optimizers, schedules
from sigmanet.io import steps as model_file_steps
from sigmanet.registry import Entry, Registry


@pytest.fixture
def shapes() -> Registry:
    registry: Registry = Registry("shape")
    registry.register("square", 4, aliases=("box",), corners=4)
    registry.register("triangle", 3)
    registry.seal()
    return registry


def test_get_by_name_alias_and_any_case(shapes: Registry) -> None:
    assert shapes.get("square") == 4
    assert shapes.get(" Box ") == 4
    assert shapes.canonical("BOX") == "square"
    assert "box" in shapes and "circle" not in shapes and 3 not in shapes


def test_entry_carries_aliases_and_metadata(shapes: Registry) -> None:
    entry = shapes.entry("box")
    assert entry == Entry("square", 4, ("box",), {"corners": 4})
    assert [e.name for e in shapes.entries()] == ["square", "triangle"]
    assert shapes.names() == ["square", "triangle"]
    assert shapes.names(aliases=True) == ["box", "square", "triangle"]
    assert list(shapes) == ["square", "triangle"] and len(shapes) == 2


def test_unknown_name_lists_valid_names_and_suggests(shapes: Registry) -> None:
    with pytest.raises(ValueError, match="Unknown shape 'trianlge'") as info:
        shapes.get("trianlge")
    message = str(info.value)
    assert "Valid names: 'box', 'square', 'triangle'." in message
    assert message.endswith("Did you mean 'triangle'?")
    with pytest.raises(ValueError) as info:
        shapes.get("zzzzzz")
    assert "Did you mean" not in str(info.value)


def test_hint_replaces_the_suggestion() -> None:
    registry: Registry = Registry("activation", hints={"softmax": "softmax is not elementwise."})
    registry.register("softplus", 1)
    with pytest.raises(ValueError) as info:
        registry.get("softmax")
    assert str(info.value).endswith("softmax is not elementwise.")
    assert "Did you mean" not in str(info.value)


def test_non_string_names_are_type_errors(shapes: Registry) -> None:
    with pytest.raises(TypeError, match="shape name must be a str; got int"):
        shapes.get(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str"):
        shapes.register(3, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        shapes.register("  ", 1)


def test_decorator_registers_and_returns_the_item() -> None:
    registry: Registry = Registry("function")

    @registry.register("double", aliases=["twice"], arity=1)
    def double(x: int) -> int:
        return 2 * x

    assert double(2) == 4
    assert registry.get("twice") is double
    assert registry.entry("double").metadata == {"arity": 1}


def test_taken_names_need_overwrite(shapes: Registry) -> None:
    with pytest.raises(ValueError, match=r"\['square'\] are already registered"):
        shapes.register("square", 5)
    with pytest.raises(ValueError, match=r"\['box'\]"):
        shapes.register("cube", 6, aliases=("box",))
    assert shapes.get("box") == 4  # nothing changed by the refused registrations
    assert "cube" not in shapes


def test_replacing_and_unregistering_a_builtin_restores_it(shapes: Registry) -> None:
    assert shapes.is_builtin("square")
    shapes.register("square", 40, overwrite=True)
    assert shapes.get("square") == 40 and not shapes.is_builtin("square")
    assert "box" not in shapes  # the replacement did not declare the alias
    shapes.unregister("square")
    assert shapes.get("box") == 4 and shapes.is_builtin("square")


def test_builtins_cannot_be_unregistered_user_items_can(shapes: Registry) -> None:
    with pytest.raises(ValueError, match="built in"):
        shapes.unregister("triangle")
    shapes.register("hexagon", 6, aliases=("hex",))
    shapes.unregister("hex")
    assert "hexagon" not in shapes and "hex" not in shapes
    with pytest.raises(ValueError, match="Unknown shape"):
        shapes.unregister("hexagon")


def test_overwriting_an_alias_moves_it(shapes: Registry) -> None:
    shapes.register("box", 99, overwrite=True)
    assert shapes.get("box") == 99 and shapes.get("square") == 4
    assert shapes.entry("square").aliases == ()


def test_unregistering_an_item_that_took_a_builtin_alias_gives_the_alias_back(
    shapes: Registry,
) -> None:
    shapes.register("box", 99, overwrite=True)
    assert not shapes.is_builtin("square")
    shapes.unregister("box")
    assert shapes.get("box") == 4 and shapes.entry("square").aliases == ("box",)
    assert shapes.is_builtin("square")


def test_build_instantiates_classes_and_checks_parameters() -> None:
    class Base:
        pass

    class Thing(Base):
        def __init__(self, size: int = 1) -> None:
            self.size = size

    registry: Registry = Registry("thing")
    registry.register("thing", Thing)
    assert registry.build("thing", {"size": 3}, base=Base).size == 3
    instance = Thing()
    assert registry.build(instance, {}, base=Base) is instance
    with pytest.raises(ValueError, match="instance and parameters"):
        registry.build(instance, {"size": 2}, base=Base)
    with pytest.raises(TypeError, match=r"unexpected parameter\(s\) \['colour'\]"):
        registry.build("thing", {"colour": 1}, base=Base)
    with pytest.raises(TypeError, match="must be a name or a Base"):
        registry.build(3.0, {}, base=Base)


# ---- the contract every registry of sigmanet keeps ------------------------------------------

REGISTRIES = {
    "activations": activations,
    "layers": layers,
    "losses": losses,
    "optimizers": optimizers,
    "schedules": schedules,
    "initializers": initializers,
    "io.steps": model_file_steps,
}
# Modules whose names() lists the canonical names only, as documented (aliases still work).
NAMES_WITHOUT_ALIASES = {"losses"}


@pytest.mark.parametrize("module_name", sorted(REGISTRIES))
def test_every_registry_keeps_the_contract(module_name: str) -> None:
    module = REGISTRIES[module_name]
    registry = module.REGISTRY
    assert isinstance(registry, Registry)
    assert len(registry) > 0
    for entry in registry.entries():
        assert registry.is_builtin(entry.name)
        assert entry.name in module.names()
        for name in (entry.name, *entry.aliases):
            assert name in module.names() or module_name in NAMES_WITHOUT_ALIASES
            assert registry.get(name) is entry.item
    with pytest.raises(ValueError, match=r"Unknown .* Valid names") as info:
        module.get("no-such-thing")
    assert all(repr(name) in str(info.value) for name in registry.names())
