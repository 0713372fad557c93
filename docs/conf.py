"""Sphinx configuration of the sigmanet documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import sigmanet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _scraper

from _scraper import FigureScraper  # noqa: E402

project = "sigmanet"
author = "the sigmanet developers"
copyright = "the sigmanet developers"
release = version = sigmanet.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "**/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
templates_path: list[str] = []
html_theme = "alabaster"
html_title = f"sigmanet {release}"
html_theme_options = {
    "description": "The sigmoid family of models, from first principles.",
    "fixed_sidebar": True,
    "page_width": "1100px",
}
html_static_path: list[str] = []

# every cross-reference must resolve: a renamed function breaks the build, not a link
nitpicky = True
# Other projects' objects, named in docstrings; their own documentation describes them.
nitpick_ignore = [
    ("py:class", "numpy.random.Generator"),
    ("py:class", "matplotlib.figure.Figure"),
    ("py:class", "sklearn.preprocessing.StandardScaler"),
    # numpydoc links the linear models' fitted properties, which are documented in place
    ("py:obj", "coef_"),
    ("py:obj", "intercept_"),
    ("py:obj", "classes_"),
]
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The figures of the example gallery: sigmanet.plotting returns matplotlib Figures built
# without pyplot, so a scraper that collects those objects replaces pyplot's.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": (FigureScraper(),),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_memory": False,
    "plot_gallery": "True",
}

# matplotlib without a display; numbers in the gallery are the same on every build
os.environ.setdefault("MPLBACKEND", "Agg")


def _skip_inherited_request_methods(app, what, name, obj, skip, options):
    # scikit-learn's metadata-routing setters (set_fit_request, ...) are generated on every
    # estimator; they are scikit-learn's API, documented there.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _canonical_reference(app, env, node, contnode):
    """Resolve ``sigmanet.MLPClassifier`` and the other top-level re-exports.

    The API pages document each object where it is defined (``sigmanet.estimators.mlp``);
    the text refers to it by the name users import, so an unresolved ``sigmanet.X`` is retried
    under the object's defining module.
    """
    import importlib

    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("sigmanet."):
        return None
    parts = target.split(".")
    obj = None
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        break
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or f"{module}.{qualname}" == target:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], f"{module}.{qualname}", node, contnode
    )


def _relative_reference(app, env, node, contnode):
    """Resolve a short name (``:meth:`bind```) where the docstring stands.

    A docstring refers to its class's other members, or its module's, by their short names;
    in an inherited method's docstring, or in a module documented under its package, Sphinx
    looks only beside the object itself. Retried here under the class and each of its bases,
    in the module that defines them and in the package that re-exports them.
    """
    import importlib

    target = node.get("reftarget", "")
    module_name = node.get("py:module") or ""
    if node.get("refdomain") != "py" or target.startswith("sigmanet.") or not module_name:
        return None
    scopes = [module_name, module_name.rsplit(".", 1)[0]]
    candidates = [f"{scope}.{target}" for scope in scopes]
    class_name = node.get("py:class")
    if class_name:
        try:
            cls = importlib.import_module(module_name)
            for part in class_name.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            cls = None
        for base in getattr(cls, "__mro__", ())[:-1]:
            home = base.__module__
            for scope in (home, home.rsplit(".", 1)[0]):
                candidates.append(f"{scope}.{base.__qualname__}.{target}")
    domain = env.get_domain("py")
    for candidate in candidates:
        found = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
        )
        if found is not None:
            return found
    return None


def setup(app):
    app.connect("missing-reference", _relative_reference)
    app.connect("autodoc-skip-member", _skip_inherited_request_methods)
    app.connect("missing-reference", _canonical_reference)
