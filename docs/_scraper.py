"""A sphinx-gallery image scraper for matplotlib Figures made without pyplot.

:mod:`sigmanet.plotting` returns :class:`matplotlib.figure.Figure` objects that pyplot never
sees, so sphinx-gallery's own matplotlib scraper would find no figure. This one looks through
the example's global names after each code block and saves every Figure it has not saved
before, in the order they were made.
"""

from __future__ import annotations

from typing import Any


class FigureScraper:
    """Save each new Figure bound to a global name of the example (and pyplot's figures)."""

    def __init__(self) -> None:
        self._seen: dict[str, set[int]] = {}

    def __repr__(self) -> str:  # sphinx-gallery caches the configuration by its repr
        return "FigureScraper()"

    def __call__(self, block: Any, block_vars: dict[str, Any], gallery_conf: Any) -> str:
        from matplotlib.figure import Figure
        from sphinx_gallery.scrapers import figure_rst

        seen = self._seen.setdefault(str(block_vars["src_file"]), set())
        figures = []
        for value in list(block_vars["example_globals"].values()):
            candidates = value if isinstance(value, list | tuple) else [value]
            for candidate in candidates:
                if isinstance(candidate, Figure) and id(candidate) not in seen:
                    seen.add(id(candidate))
                    figures.append(candidate)
        paths = []
        for figure, path in zip(figures, block_vars["image_path_iterator"], strict=False):
            figure.savefig(path, dpi=90)
            paths.append(path)
        return figure_rst(paths, gallery_conf["src_dir"])
