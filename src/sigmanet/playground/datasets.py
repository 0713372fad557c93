"""The playground's two-dimensional data sets and the input features computed from them.

Every set lives in the square [-6, 6]² that the heat-map shows, with labels 0, 1 (and 2 for
the three-class set). ``noise`` in [0, 0.5] blurs the classes; the same ``seed`` gives the
same points, so a shared link shows the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "DATASETS",
    "DOMAIN",
    "FEATURES",
    "features",
    "make_dataset",
    "parse_csv",
    "split",
]

#: Half-width of the square the heat-map shows: inputs run over [-DOMAIN, DOMAIN]².
DOMAIN = 6.0
_RADIUS = 5.0


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside radius 2.5, class 0 in the ring from 3.5 to 5."""
    inner = n // 2
    radius = np.concatenate(
        [
            rng.uniform(0.0, 0.5 * _RADIUS, inner),
            rng.uniform(0.7 * _RADIUS, _RADIUS, n - inner),
        ]
    )
    angle = rng.uniform(0.0, 2 * math.pi, n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += rng.uniform(-_RADIUS, _RADIUS, X.shape) * noise
    y = np.repeat(np.array([1, 0], dtype=np.intp), [inner, n - inner])
    return X, y


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Quadrants: class 1 where x1 x2 > 0; points kept 0.3 away from the axes."""
    X = rng.uniform(-_RADIUS, _RADIUS, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.intp)
    X += rng.uniform(-_RADIUS, _RADIUS, X.shape) * noise
    return X, y


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two normal clouds centred at (2, 2) and (-2, -2), wider with noise."""
    half = n // 2
    scale = 0.5 + 3.5 * noise
    y = np.repeat(np.array([1, 0], dtype=np.intp), [half, n - half])
    centres = np.where(y[:, None] == 1, 2.0, -2.0)
    X = centres + rng.normal(0.0, scale, (n, 2))
    return X, y


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, r = 5 t, angle 1.75 · 2π t (+ π for class 0)."""
    half = n // 2
    parts, labels = [], []
    for label, offset, count in ((1, 0.0, half), (0, math.pi, n - half)):
        t = np.arange(count) / max(count, 1)
        angle = 1.75 * 2 * math.pi * t + offset
        r = _RADIUS * t
        points = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        parts.append(points + rng.uniform(-1.0, 1.0, points.shape) * noise * _RADIUS / 2)
        labels.append(np.full(count, label, dtype=np.intp))
    return np.vstack(parts), np.concatenate(labels)


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the shape of scikit-learn's ``make_moons``), scaled ×2.5."""
    half = n // 2
    outer = np.linspace(0.0, math.pi, half)
    inner = np.linspace(0.0, math.pi, n - half)
    X = np.vstack(
        [
            np.column_stack([np.cos(outer), np.sin(outer)]),
            np.column_stack([1 - np.cos(inner), 0.5 - np.sin(inner)]),
        ]
    )
    X = (X - [0.5, 0.25]) * 2.5
    X += rng.normal(0.0, 0.1 + 2.0 * noise, X.shape)
    y = np.repeat(np.array([1, 0], dtype=np.intp), [half, n - half])
    return X, y


def _three_class(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three normal clouds at radius 3, 120° apart: classes 0, 1 and 2."""
    y = np.arange(n, dtype=np.intp) % 3
    angle = math.pi / 2 + y * (2 * math.pi / 3)
    centres = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    X = centres + rng.normal(0.0, 0.6 + 3.0 * noise, (n, 2))
    return X, y


#: Name → generator ``(n, noise, rng) -> (X, y)``.
DATASETS: dict[str, Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "three_class": _three_class,
}


def make_dataset(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled points of data set ``name``, clipped to the shown square.

    Returns ``X`` of shape (n, 2), float64, and ``y`` of shape (n,), class indices.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    rng = np.random.default_rng(seed)
    X, y = DATASETS[name](int(n), float(noise), rng)
    order = rng.permutation(X.shape[0])  # so that any train/test split mixes the classes
    return np.clip(X[order], -DOMAIN, DOMAIN), y[order]


def split(n: int, train_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test rows: the first ``round(ratio · n)`` of a permutation."""
    order = np.random.default_rng(seed + 1).permutation(n)
    n_train = min(max(1, round(train_ratio * n)), n - 1) if n > 1 else n
    return np.sort(order[:n_train]), np.sort(order[n_train:])


#: Input feature name → function of (x1, x2).
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


def features(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs: one column per feature name, computed from the points ``X``."""
    return np.column_stack([FEATURES[name](X[:, 0], X[:, 1]) for name in names])


#: Largest number of rows an uploaded CSV may have.
MAX_UPLOAD_ROWS = 5000


def parse_csv(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read an uploaded data set: rows ``x1,x2,label`` or ``x1,x2,label,split``.

    An optional header row comes first. The two inputs must be finite numbers in [-6, 6] (the
    square the heat-map shows); the label must be 0 or 1 (or 0, 1, 2 for three classes, all
    three present); a fourth column, if any, says ``train`` or ``test`` for every row (the
    playground's own CSV export has it), and then replaces the training share. Every problem
    is reported with its line number.

    Returns ``X`` of shape (n, 2), ``y`` of shape (n,) and, with a split column, a boolean
    ``is_train`` of shape (n,) (else None).
    """
    lines = text.replace("\r\n", "\n").split("\n")
    rows: list[tuple[int, list[str]]] = [
        (number, [cell.strip() for cell in line.split(",")])
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    if rows and not _is_number(rows[0][1][0]):
        rows = rows[1:]  # a header
    if len(rows) < 4:
        raise ValueError("The CSV needs at least 4 data rows of the form x1,x2,label.")
    if len(rows) > MAX_UPLOAD_ROWS:
        raise ValueError(f"The CSV has {len(rows)} rows; at most {MAX_UPLOAD_ROWS} are allowed.")
    width = len(rows[0][1])
    if width not in (3, 4):
        raise ValueError(
            f"Line {rows[0][0]}: expected 3 comma-separated values (x1,x2,label) or 4 "
            f"(x1,x2,label,split); got {width}."
        )
    X = np.empty((len(rows), 2))
    y = np.empty(len(rows), dtype=np.intp)
    is_train = np.empty(len(rows), dtype=bool) if width == 4 else None
    for index, (number, cells) in enumerate(rows):
        if len(cells) != width:
            raise ValueError(
                f"Line {number}: expected {width} comma-separated values, as on the first "
                f"row; got {len(cells)}."
            )
        for column in range(2):
            if not _is_number(cells[column]) or not math.isfinite(float(cells[column])):
                raise ValueError(
                    f"Line {number}: x{column + 1} must be a finite number; got {cells[column]!r}."
                )
            value = float(cells[column])
            if abs(value) > DOMAIN:
                raise ValueError(
                    f"Line {number}: x{column + 1} = {value} lies outside [-6, 6]; scale the "
                    "data into that square first."
                )
            X[index, column] = value
        if cells[2] not in ("0", "1", "2", "0.0", "1.0", "2.0"):
            raise ValueError(f"Line {number}: the label must be 0, 1 or 2; got {cells[2]!r}.")
        y[index] = int(float(cells[2]))
        if is_train is not None:
            if cells[3] not in ("train", "test"):
                raise ValueError(
                    f"Line {number}: the split must be train or test; got {cells[3]!r}."
                )
            is_train[index] = cells[3] == "train"
    classes = set(np.unique(y).tolist())
    if classes not in ({0, 1}, {0, 1, 2}):
        raise ValueError(
            "The labels must be 0 and 1 (two classes) or 0, 1 and 2 (three classes); "
            f"found {sorted(classes)}."
        )
    if is_train is not None and (is_train.all() or not is_train.any()):
        raise ValueError("The split column needs at least one train row and one test row.")
    return X, y, is_train


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
