"""What the playground exports: the data as CSV, the model file, a Python script of the run.

Each function takes the :class:`~sigmanet.playground.session.Session` and runs on the worker
thread (the only one that touches the network).
"""

from __future__ import annotations

import io
import tempfile
import warnings
from pathlib import Path

import numpy as np

from sigmanet.playground.config import OPTIMIZERS
from sigmanet.playground.session import Session

__all__ = ["data_csv", "mlp_parameters", "model_bytes", "python_snippet"]


def data_csv(session: Session) -> str:
    """The points as CSV: ``x1,x2,label,split`` with split ``train`` or ``test``.

    Uploading the file again gives the same points and the same split.
    """
    out = io.StringIO()
    out.write("x1,x2,label,split\n")
    is_train = np.zeros(session.points.shape[0], dtype=bool)
    is_train[session.train_index] = True
    for (x1, x2), label, train in zip(session.points, session.labels, is_train, strict=True):
        out.write(f"{float(x1)!r},{float(x2)!r},{int(label)},{'train' if train else 'test'}\n")
    return out.getvalue()


def mlp_parameters(session: Session) -> dict[str, object]:
    """The arguments of the :class:`sigmanet.MLPClassifier` with the run's set-up."""
    c = session.config
    solver, extra = OPTIMIZERS[c.optimizer]
    parameters: dict[str, object] = {
        "hidden_layer_sizes": list(c.hidden),
        "activation": list(c.activations),
        "solver": "sgd" if solver == "sgd" else solver,
        "alpha": c.regularization_rate if c.regularization == "l2" else 0.0,
        "batch_size": c.batch_size,
        "learning_rate": c.schedule,
        "learning_rate_init": c.learning_rate,
        "max_iter": max(session.epoch, 1),
        "dropout": c.dropout,
        "weight_init": c.initializer,
        "random_state": c.seed,
    }
    if solver == "sgd":
        parameters["momentum"] = float(extra.get("momentum", 0.0))
        parameters["nesterovs_momentum"] = bool(extra.get("nesterov", False))
    return parameters


def _check_exportable(session: Session) -> None:
    if session.config.loss != "log_loss":
        raise ValueError(
            "Only a network trained with the log loss is an MLPClassifier; switch the loss to "
            "log loss to export the model file (the Python script works for both)."
        )
    if not session.config.hidden:
        raise ValueError("Add a hidden layer to export an MLPClassifier model file.")


def model_bytes(session: Session) -> bytes:
    """The network as a :class:`sigmanet.MLPClassifier` model file (``sigmanet.save``).

    The classifier is built with the run's set-up, given the playground's weights, its
    ``loss_curve_`` and counters, and saved; its inputs are the chosen features, in the order
    the page lists them.
    """
    from sigmanet import MLPClassifier, save

    _check_exportable(session)
    X = session.inputs(session.points[session.train_index])
    y = session.labels[session.train_index]
    classifier = MLPClassifier(**mlp_parameters(session))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one pass only sets the shapes up
        classifier.partial_fit(X, y, classes=np.arange(session.n_classes))
    target = classifier.network_.flat_parameters()
    source = session.network.flat_parameters()
    if target.shape != source.shape:  # pragma: no cover - the layouts are built alike
        raise ValueError("The playground's network does not match an MLPClassifier's layout.")
    target[...] = source
    classifier.loss_curve_ = [float(v) for v in session.train_losses[1:]]
    classifier.n_iter_ = session.epoch
    classifier.t_ = session.samples_seen
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "playground.safetensors"
        save(classifier, path)
        return path.read_bytes()


_FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 ** 2",
    "x2^2": "x2 ** 2",
    "x1x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)",
    "sin(x2)": "np.sin(x2)",
}


def python_snippet(session: Session) -> str:
    """A script that trains an :class:`sigmanet.MLPClassifier` with the run's set-up."""
    c = session.config
    lines = [
        '"""A sigmanet playground run as a script (same data, network and training settings).',
        "",
        "The initial weights and the order of the batches come from the classifier's own",
        "random_state, so the numbers differ a little from the playground's.",
        '"""',
        "",
        "import numpy as np",
        "",
        "from sigmanet import MLPClassifier",
    ]
    if c.dataset == "upload":
        lines += [
            "",
            "# the data exported from the playground (playground-data.csv)",
            'table = np.genfromtxt("playground-data.csv", delimiter=",", names=True, '
            "dtype=None, encoding=None)",
            'points = np.column_stack([table["x1"], table["x2"]])',
            'labels = table["label"].astype(int)',
            'is_train = table["split"] == "train"',
        ]
    else:
        lines += [
            "from sigmanet.playground.datasets import make_dataset, split",
            "",
            f"points, labels = make_dataset({c.dataset!r}, {c.n_samples}, {c.noise!r}, "
            f"seed={c.data_seed})",
            f"train, test = split(len(labels), {c.train_ratio!r}, seed={c.data_seed})",
            "is_train = np.zeros(len(labels), dtype=bool)",
            "is_train[train] = True",
        ]
    columns = ", ".join(_FEATURE_CODE[name] for name in c.features)
    lines += [
        "",
        "x1, x2 = points[:, 0], points[:, 1]",
        f"X = np.column_stack([{columns}])  # features: {', '.join(c.features)}",
        "",
        "clf = MLPClassifier(",
    ]
    lines += [f"    {name}={value!r}," for name, value in mlp_parameters(session).items()]
    lines += [")"]
    notes = []
    if c.loss == "squared_error":
        notes.append("the playground used the squared error; MLPClassifier uses the log loss")
    if c.regularization == "l1" and c.regularization_rate > 0:
        notes.append("the playground's L1 penalty has no MLPClassifier parameter; left out")
    if c.schedule == "cosine":
        notes.append("the playground's cosine schedule has a period of 200 epochs; here max_iter")
    lines += [f"# note: {note}" for note in notes]
    lines += [
        "clf.fit(X[is_train], labels[is_train])",
        'print("train accuracy", clf.score(X[is_train], labels[is_train]))',
        "if (~is_train).any():",
        '    print("test accuracy", clf.score(X[~is_train], labels[~is_train]))',
        "",
    ]
    return "\n".join(lines)
