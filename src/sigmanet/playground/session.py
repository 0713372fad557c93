"""One playground run: data, network, optimizer, and what the page is shown of them.

A :class:`Session` is used by one thread at a time (the worker of :mod:`sigmanet.playground.
worker`, or a test): layers keep what ``backward`` needs between ``forward`` and ``backward``,
so two threads must never train and draw the same network at once. Every number it shows is
computed by sigmanet itself: epochs by :func:`sigmanet.training.train`, a single step by the
network's own layers and optimizer (see :meth:`Session.step`).
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from sigmanet import activations as _activations
from sigmanet import losses as _losses
from sigmanet import optimizers as _optimizers
from sigmanet import schedules as _schedules
from sigmanet.diagnostics import GradientFlowRecorder
from sigmanet.exceptions import DivergenceError
from sigmanet.layers import Activation, Dense, Dropout, Layer
from sigmanet.network import Sequential
from sigmanet.playground import datasets
from sigmanet.playground.config import OPTIMIZERS, Config, merge
from sigmanet.training import Callback, train

__all__ = ["HEATMAP_SIZE", "THUMBNAIL_SIZE", "Session"]

HEATMAP_SIZE = 64
THUMBNAIL_SIZE = 24
#: Bins of the pre-activation histograms, over [-Z_RANGE, Z_RANGE] (values outside are counted
#: apart, as saturated).
Z_BINS = 32
Z_RANGE = 8.0
#: Most points a curve in a frame carries; longer histories are thinned evenly.
CURVE_POINTS = 400
#: Epochs of the side-by-side comparisons.
COMPARE_EPOCHS = 40

_DATA_FIELDS = {"dataset", "noise", "train_ratio", "n_samples", "data_seed"}
_NETWORK_FIELDS = {"features", "hidden", "activations", "dropout", "initializer", "loss", "seed"}
_OPTIMIZER_FIELDS = {"optimizer", "schedule", "learning_rate"}


class _L1Shrink(Callback):
    """The proximal step of an L1 penalty λ Σ|W|, after each update of the weight matrices.

    ``W ← sign(W) · max(|W| - η λ, 0)`` (soft thresholding, the proximal operator of ``η λ |·|``;
    Parikh & Boyd, *Proximal Algorithms*, 2014): weights that the data do not hold up reach
    exactly zero, which is what makes L1 select inputs.
    """

    def __init__(self, rate: float, optimizer: Any) -> None:
        self.rate = rate
        self.optimizer = optimizer

    def on_batch_end(self, network: Sequential, logs: dict[str, Any]) -> None:
        shrink_weights(network, self.rate * float(self.optimizer.learning_rate))


def shrink_weights(network: Sequential, threshold: float) -> None:
    """Soft-threshold every weight matrix of ``network`` in place by ``threshold``."""
    for W in network.weight_matrices():
        np.copyto(W, np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0))


def _quantise(values: np.ndarray, low: float, high: float) -> str:
    """``values`` clipped to [low, high] and mapped to bytes 0…255, base64-encoded."""
    scaled = (np.clip(np.nan_to_num(values, nan=low), low, high) - low) / (high - low)
    return base64.b64encode(np.round(scaled * 255).astype(np.uint8).tobytes()).decode("ascii")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _thin(count: int, limit: int = CURVE_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` evenly spread entries of ``count``, the last one included."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


def _grid(size: int) -> np.ndarray:
    """The centres of a size × size grid over the shown square, row 0 at the top (x2 = +6)."""
    ticks = (np.arange(size) + 0.5) / size * 2 * datasets.DOMAIN - datasets.DOMAIN
    x1, x2 = np.meshgrid(ticks, ticks[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


class Session:
    """The state of one playground: settings, data, network, training counters.

    Parameters
    ----------
    config : Config
        The starting settings.
    clock : callable
        Seconds, for the time per epoch (a test can pass a fake).
    """

    def __init__(self, config: Config | None = None, clock: Callable[[], float] = time.monotonic):
        self.config = config or Config()
        self.clock = clock
        self.playing = False
        self.message: str | None = None
        self.run_id = 0
        self.data_version = 0
        self.upload: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self.comparison: dict[str, Any] | None = None
        self._make_data()
        self._make_network()

    # -- set-up ------------------------------------------------------------------------------
    def _make_data(self) -> None:
        c = self.config
        is_train = None
        if c.dataset == "upload" and self.upload is not None:
            points, labels, is_train = self.upload
        else:
            if c.dataset == "upload":
                self.config = c = replace(c, dataset="circle")
            points, labels = datasets.make_dataset(c.dataset, c.n_samples, c.noise, c.data_seed)
        self.points, self.labels = points, labels
        self.n_classes = 3 if labels.max() >= 2 else 2
        if is_train is not None:  # the uploaded file's own split
            self.train_index, self.test_index = np.flatnonzero(is_train), np.flatnonzero(~is_train)
        else:
            self.train_index, self.test_index = datasets.split(
                points.shape[0], c.train_ratio, c.data_seed
            )
        self.data_version += 1

    def inputs(self, points: np.ndarray) -> np.ndarray:
        """The network's inputs for ``points`` of shape (n, 2): the chosen features."""
        return datasets.features(points, self.config.features)

    def targets(self, labels: np.ndarray) -> np.ndarray:
        """Targets in the form the loss takes: class indices, or 0/1 columns for the delta rule."""
        if self.config.loss == "squared_error":
            if self.n_classes == 2:
                return labels.astype(np.float64).reshape(-1, 1)
            return np.eye(self.n_classes)[labels]
        if self.n_classes == 2:
            return labels.astype(np.float64).reshape(-1, 1)
        return labels

    def build_network(self, activations: tuple[str, ...] | None = None) -> Sequential:
        """A fresh network for the current settings, initialised from ``config.seed``.

        Hidden layers are ``Dense → Activation (→ Dropout)``; the output is one logit for
        two classes, one per class for three (log loss from logits), followed by a sigmoid
        for the squared error (the delta rule ``δ = (y - ŷ) σ'(z)``).
        """
        c = self.config
        names = c.activations if activations is None else activations
        layers: list[Layer] = []
        for index, (width, name) in enumerate(zip(c.hidden, names, strict=True)):
            layers += [Dense(width, initializer=c.initializer), Activation(name)]
            if c.dropout > 0:
                layers.append(Dropout(c.dropout, random_state=c.seed + index))
        n_outputs = 1 if self.n_classes == 2 else self.n_classes
        layers.append(Dense(n_outputs, initializer=c.initializer))
        if c.loss == "squared_error":
            layers.append(Activation("sigmoid"))
        return Sequential(layers).build(len(c.features), random_state=c.seed)

    def _make_loss(self) -> Any:
        if self.config.loss == "squared_error":
            return _losses.SquaredError()
        if self.n_classes == 2:
            return _losses.BinaryCrossEntropyWithLogits()
        return _losses.SoftmaxCrossEntropyWithLogits()

    def make_optimizer(self) -> tuple[Any, Any]:
        """The optimizer and learning-rate schedule (None for a constant rate) of the settings."""
        c = self.config
        name, extra = OPTIMIZERS[c.optimizer]
        optimizer = _optimizers.get(name, learning_rate=c.learning_rate, **extra)
        if c.schedule == "constant":
            return optimizer, None
        if c.schedule == "annealed":
            return optimizer, _schedules.Annealed()
        if c.schedule == "cosine":
            return optimizer, _schedules.CosineAnnealing(learning_rate=c.learning_rate, t_max=200)
        return optimizer, _schedules.get(c.schedule, learning_rate=c.learning_rate)

    def _make_network(self) -> None:
        self.network = self.build_network()
        self.loss = self._make_loss()
        self.initial_parameters = self.network.flat_parameters().copy()
        self._reset_training()

    def _reset_training(self) -> None:
        self.network.flat_parameters()[...] = self.initial_parameters
        self.optimizer, self.schedule = self.make_optimizer()
        self.epoch = 0
        self.updates = 0
        self.samples_seen = 0
        # Every epoch is its own train() call; judging each against the run's first start
        # (not its own) is what lets the divergence rule see a loss that grows slowly.
        self.divergence_reference: float | None = None
        self.train_losses: list[float] = []
        self.test_losses: list[float] = []
        self.epoch_seconds: float | None = None
        self.flow = GradientFlowRecorder(accumulate=True)
        self.last_step: dict[str, Any] | None = None
        self.message = None
        self._cursor = 0
        self._order = np.arange(self.train_index.size)
        self.run_id += 1
        self._record_losses()

    # -- controls ----------------------------------------------------------------------------
    def configure(self, update: Any) -> None:
        """Apply settings from the page; what they touch decides what starts over.

        Data settings regenerate the data and the network; network settings rebuild the
        network (new initial weights); optimizer settings start training over from the same
        initial weights; the L1/L2 rate and batch size apply from the next update on.
        """
        old = self.config
        self.config = merge(old, update)
        changed = {name for name in update if getattr(old, name) != getattr(self.config, name)}
        if changed & _DATA_FIELDS:
            self._make_data()
            self._make_network()
        elif changed & _NETWORK_FIELDS:
            self._make_network()
        elif changed & _OPTIMIZER_FIELDS:
            self._reset_training()
        if changed - {"speed"}:
            self.comparison = None

    def reset(self) -> None:
        """Start over from the same initial weights (a new run with the same seed)."""
        self.playing = False
        self._reset_training()

    def regenerate(self) -> None:
        """Draw a new sample of the data set (the next data seed) and start over."""
        self.configure({"data_seed": (self.config.data_seed + 1) % 2**31})

    def set_upload(
        self, points: np.ndarray, labels: np.ndarray, is_train: np.ndarray | None = None
    ) -> None:
        """Use an uploaded data set (validated by ``datasets.parse_csv``) and its split."""
        self.upload = (points, labels, is_train)
        self.playing = False
        self.config = replace(self.config, dataset="upload")
        self._make_data()
        self._make_network()
        self.comparison = None

    # -- training ----------------------------------------------------------------------------
    def _training_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.inputs(self.points[self.train_index]),
            self.targets(self.labels[self.train_index]),
        )

    def _l2(self) -> float:
        c = self.config
        return c.regularization_rate if c.regularization == "l2" else 0.0

    def train_epoch(self) -> bool:
        """One epoch by :func:`sigmanet.training.train`; False (and paused) if it diverged."""
        X, y = self._training_arrays()
        c = self.config
        callbacks: list[Callback] = [self.flow]
        if c.regularization == "l1" and c.regularization_rate > 0:
            callbacks.append(_L1Shrink(c.regularization_rate, self.optimizer))
        start = self.clock()
        try:
            history = train(
                self.network,
                self.loss,
                self.optimizer,
                X,
                y,
                epochs=1,
                batch_size=c.batch_size,
                random_state=np.random.default_rng([c.seed, self.epoch]),
                schedule=self.schedule,
                l2=self._l2(),
                callbacks=callbacks,
                initial_epoch=self.epoch,
                samples_seen=self.samples_seen,
                blas_threads=1,
                divergence_reference=self.divergence_reference,
            )
        except DivergenceError as error:
            self._diverged(error)
            return False
        self.divergence_reference = history.divergence_reference
        self.epoch_seconds = self.clock() - start
        self.epoch += 1
        self.updates += history.steps
        self.samples_seen = history.samples_seen
        self._cursor = 0
        return self._record_losses()

    def step(self) -> bool:
        """One update on the next batch, keeping every intermediate for the page.

        The batch goes forward and backward through the network's own layers, in the order
        and with the arguments :meth:`~sigmanet.network.Sequential.forward` and
        :meth:`~sigmanet.network.Sequential.backward`
        use, so ``dW`` and ``db`` are exactly the gradients those give; then the optimizer
        updates the parameters as :func:`sigmanet.training.train` does (L2 term included).
        Returns False (and pauses) if the step diverged.
        """
        c = self.config
        n_train = self.train_index.size
        batch = min(c.batch_size, n_train)
        if self._cursor >= n_train:
            self._cursor = 0
        if self._cursor == 0:  # a new epoch: a new order, from the seed and the epoch number
            self._order = np.random.default_rng([c.seed, self.epoch, 1]).permutation(n_train)
        rows = self._order[self._cursor : self._cursor + batch]
        step_in_epoch = self._cursor // batch
        X_all, y_all = self._training_arrays()
        X, y = X_all[rows], y_all[rows]
        if self.schedule is not None:
            self.optimizer.learning_rate = self.schedule(
                self.epoch, step_in_epoch, self.samples_seen
            )
        learning_rate = float(self.optimizer.learning_rate)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            record = self._forward_backward(X, y)
            if not math.isfinite(record["loss"]):
                self._diverged(
                    DivergenceError(
                        f"Training diverged: the loss became {record['loss']} at this step. "
                        "Parameters keep their last finite values; lower the learning rate.",
                        epoch=self.epoch,
                        batch=step_in_epoch,
                    )
                )
                return False
            l2 = self._l2()
            if l2 > 0:
                penalty = l2 / rows.size
                for W, dW in zip(
                    self.network.weight_matrices(), self.network.weight_gradients(), strict=True
                ):
                    dW += penalty * W
            parameters = self.network.flat_parameters()
            before = parameters.copy()
            try:
                self.optimizer.step([parameters], [self.network.flat_gradients()])
            except FloatingPointError as error:
                self._diverged(error)
                return False
            if not np.isfinite(parameters).all():
                parameters[...] = before
                self._diverged(
                    DivergenceError(
                        "Training diverged: the update made a parameter non-finite. Parameters "
                        "keep their last finite values.",
                        epoch=self.epoch,
                        batch=step_in_epoch,
                    )
                )
                return False
            if c.regularization == "l1" and c.regularization_rate > 0:
                shrink_weights(self.network, c.regularization_rate * learning_rate)
        dense = [layer for layer in self.network.layers if layer.weight_names()]
        for entry, layer in zip(record["layers"], dense, strict=True):
            entry["W_new"] = layer.params["W"].tolist()
            entry["b_new"] = layer.params["b"].tolist()
            entry["dW"] = layer.grads["W"].tolist()  # with the L2 term the update used
        record.update(
            learning_rate=learning_rate,
            rows=[int(self.train_index[r]) for r in rows],
            epoch=self.epoch,
            batch=step_in_epoch,
        )
        self.last_step = record
        # the gradient-flow record counts steps as train() counts batches: whole epochs only
        if self._cursor == 0:
            self.flow.on_train_begin(self.network)
        self.flow.on_batch_end(self.network, {})
        self.updates += 1
        self.samples_seen += rows.size
        self._cursor += batch
        if self._cursor >= n_train:
            self.flow.on_epoch_end(self.network, {})
            self.epoch += 1
            self._cursor = 0
            return self._record_losses()
        return True

    def _forward_backward(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        """Forward and backward through the layers, recording each Dense layer's numbers.

        ``a_prev``, ``z``, ``a``, ``g_prime``, ``dz`` (and ``y``) are those of the batch's first
        sample, which the page shows; ``dW`` and ``db`` sum over the whole batch.
        """
        layers = self.network.layers
        outputs: list[np.ndarray] = []
        h = self.network.forward(X, training=True, record=outputs)
        grad = np.empty_like(h)
        loss_value, _ = self.loss.value_and_gradient(y, h, None, out=grad)
        grad_at_output: list[np.ndarray] = []
        self.network.backward(grad, record=grad_at_output)
        grad_at_output.reverse()  # recorded last layer first

        entries = []
        a_prev = X
        for index, layer in enumerate(layers):
            if not layer.weight_names():
                continue
            z = outputs[index]
            nxt = layers[index + 1] if index + 1 < len(layers) else None
            entry: dict[str, Any] = {
                "W": layer.params["W"].tolist(),
                "b": layer.params["b"].tolist(),
                "a_prev": a_prev[0].tolist(),
                "z": z[0].tolist(),
                "dz": grad_at_output[index][0].tolist(),
                "db": layer.grads["b"].tolist(),
            }
            if isinstance(nxt, Activation):
                entry["activation"] = nxt.activation.name
                entry["a"] = outputs[index + 1][0].tolist()
                entry["g_prime"] = np.asarray(nxt.activation.derivative(z[0])).tolist()
                # a Dropout after the activation hands on a ⊙ mask / (1 - rate)
                after = index + 2 if isinstance(_at(layers, index + 2), Dropout) else index + 1
                a_prev = outputs[after]
            else:  # output logits: the loss is fused with its sigmoid or softmax
                entry["activation"] = "sigmoid" if self.n_classes == 2 else "softmax"
                probabilities = _probabilities(z, self.n_classes)
                entry["a"] = probabilities[0].tolist()
                entry["g_prime"] = None
                a_prev = z
            entries.append(entry)
        return {"loss": float(loss_value), "y": np.asarray(y)[0].tolist(), "layers": entries}

    def _diverged(self, error: Exception) -> None:
        self.playing = False
        self.message = f"{error} The network was paused: lower the learning rate, or press reset."

    def _record_losses(self) -> bool:
        """Append the train and test losses; a non-finite one is reported as a divergence."""
        train_loss = self.evaluate(self.train_index)
        test_loss = self.evaluate(self.test_index) if self.test_index.size else float("nan")
        if not math.isfinite(train_loss):
            self._diverged(
                DivergenceError(
                    f"Training diverged: the training loss is {train_loss}.",
                    epoch=self.epoch,
                    batch=0,
                )
            )
            return False
        self.train_losses.append(train_loss)
        self.test_losses.append(test_loss)
        return True

    def evaluate(self, index: np.ndarray) -> float:
        """The data loss (no penalty) on the rows ``index``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            output = self.network.predict(self.inputs(self.points[index]))
            return float(self.loss.value(self.targets(self.labels[index]), output))

    # -- what the page shows -----------------------------------------------------------------
    def probabilities(self, points: np.ndarray) -> np.ndarray:
        """Class probabilities for ``points``, shape (n, n_classes)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            output = self.network.predict(self.inputs(points))
        if self.config.loss == "squared_error":
            p = np.clip(output, 0.0, 1.0)
            if self.n_classes == 2:
                return np.column_stack([1 - p[:, 0], p[:, 0]])
            total = p.sum(axis=1, keepdims=True)
            return np.divide(p, total, out=np.full_like(p, 1 / 3), where=total > 0)
        probabilities = _probabilities(output, self.n_classes)
        if self.n_classes == 2:
            return np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
        return probabilities

    def hidden_outputs(self, points: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations z and activations a of every Dense layer for ``points`` (inference)."""
        zs, activations = [], []
        h = self.inputs(points)
        layers = self.network.layers
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for index, layer in enumerate(layers):
                h = layer.forward(h)
                if isinstance(layer, Dense):
                    zs.append(h)
                elif isinstance(layer, Activation) and isinstance(_at(layers, index - 1), Dense):
                    activations.append(h)
        return zs, activations

    def frame(self) -> dict[str, Any]:
        """Everything the page draws, as a JSON-serialisable dict (no NaN, no infinity)."""
        c = self.config
        grid = _grid(HEATMAP_SIZE)
        probabilities = self.probabilities(grid)
        heat = probabilities[:, 1] if self.n_classes == 2 else probabilities
        _, unit_grids = self.hidden_outputs(_grid(THUMBNAIL_SIZE))
        hidden = unit_grids[: len(c.hidden)]
        zs, _ = self.hidden_outputs(self.points[self.train_index])
        dense = [layer for layer in self.network.layers if layer.weight_names()]
        epochs = _thin(len(self.train_losses))
        flow = self.flow.history
        flow_rows = _thin(flow.shape[0])
        return {
            "run": self.run_id,
            "data_version": self.data_version,
            "config": c.to_dict(),
            "state": "playing" if self.playing else "paused",
            "message": self.message,
            "epoch": self.epoch,
            "updates": self.updates,
            "epoch_seconds": self.epoch_seconds,
            "learning_rate": _finite(float(self.optimizer.learning_rate)),
            "n_classes": self.n_classes,
            "heatmap": {
                "size": HEATMAP_SIZE,
                "channels": 1 if self.n_classes == 2 else self.n_classes,
                "data": _quantise(heat, 0.0, 1.0),
            },
            "units": [
                [_quantise(layer[:, unit], -1.0, 1.0) for unit in range(layer.shape[1])]
                for layer in hidden
            ],
            "thumbnail_size": THUMBNAIL_SIZE,
            "weights": [
                {
                    "W": np.round(layer.params["W"], 5).tolist(),
                    "b": np.round(layer.params["b"], 5).tolist(),
                }
                for layer in dense
            ],
            "loss": {
                "epochs": epochs.tolist(),
                "train": [_finite(self.train_losses[i]) for i in epochs],
                "test": [_finite(self.test_losses[i]) for i in epochs],
            },
            "metrics": self._metrics(),
            "flow": {
                "names": self.flow.layer_names,
                "epochs": (flow_rows + 1).tolist(),
                "values": [[_finite(v) for v in flow[i]] for i in flow_rows],
            },
            "z_histograms": [_histogram(z) for z in zs],
            "z_range": Z_RANGE,
            "step": self.last_step,
            "comparison": self.comparison,
        }

    def _metrics(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, index in (("train", self.train_index), ("test", self.test_index)):
            if index.size == 0:
                result[name] = None
                continue
            predicted = np.argmax(self.probabilities(self.points[index]), axis=1)
            truth = self.labels[index]
            confusion = np.zeros((self.n_classes, self.n_classes), dtype=int)
            np.add.at(confusion, (truth, predicted), 1)
            result[name] = {
                "accuracy": float(np.mean(predicted == truth)),
                "confusion": confusion.tolist(),
            }
        return result

    def data(self) -> dict[str, Any]:
        """The points and which of them are for training (for the page and the CSV export)."""
        is_train = np.zeros(self.points.shape[0], dtype=bool)
        is_train[self.train_index] = True
        return {
            "data_version": self.data_version,
            "x": np.round(self.points, 4).tolist(),
            "y": self.labels.tolist(),
            "train": is_train.tolist(),
            "n_classes": self.n_classes,
        }

    # -- side-by-side experiments ------------------------------------------------------------
    def _run_copy(self, activations: tuple[str, ...], batch_size: int) -> dict[str, Any]:
        """Train a copy (same initial weights) for COMPARE_EPOCHS epochs; its curves."""
        network = self.build_network(activations)
        parameters = network.flat_parameters()
        if parameters.shape == self.initial_parameters.shape:
            parameters[...] = self.initial_parameters
        optimizer, schedule = self.make_optimizer()
        recorder = GradientFlowRecorder()
        X, y = self._training_arrays()
        result: dict[str, Any] = {"loss": [], "flow": [], "names": [], "message": None}
        try:
            history = train(
                network,
                self.loss,
                optimizer,
                X,
                y,
                epochs=COMPARE_EPOCHS,
                batch_size=batch_size,
                random_state=self.config.seed,
                schedule=schedule,
                l2=self._l2(),
                callbacks=[recorder],
                blas_threads=1,
            )
            result["loss"] = [_finite(v) for v in history.loss]
            result["updates"] = history.steps
        except DivergenceError as error:
            result["message"] = str(error)
        result["names"] = recorder.layer_names
        result["flow"] = [[_finite(v) for v in row] for row in recorder.history]
        return result

    def compare_activations(self) -> None:
        """Sigmoid against ReLU in every hidden layer: same data, same initial weights."""
        if not self.config.hidden:
            self.comparison = {
                "kind": "activations",
                "message": "Add a hidden layer first: with none there is no gradient to lose.",
            }
            return
        n = len(self.config.hidden)
        self.comparison = {
            "kind": "activations",
            "epochs": COMPARE_EPOCHS,
            "runs": {
                "sigmoid": self._run_copy(("sigmoid",) * n, self.config.batch_size),
                "relu": self._run_copy(("relu",) * n, self.config.batch_size),
            },
        }

    def compare_descent(self) -> None:
        """Batch, mini-batch and stochastic gradient descent from the same initial weights."""
        n_train = int(self.train_index.size)
        mini = min(self.config.batch_size, n_train) if self.config.batch_size > 1 else 10
        self.comparison = {
            "kind": "descent",
            "epochs": COMPARE_EPOCHS,
            "runs": {
                f"batch ({n_train})": self._run_copy(self.config.activations, n_train),
                f"mini-batch ({mini})": self._run_copy(self.config.activations, mini),
                "stochastic (1)": self._run_copy(self.config.activations, 1),
            },
        }


def _at(layers: list[Layer], index: int) -> Layer | None:
    return layers[index] if 0 <= index < len(layers) else None


def _probabilities(logits: np.ndarray, n_classes: int) -> np.ndarray:
    if n_classes == 2:
        return np.asarray(_activations.sigmoid(logits))
    return np.asarray(_activations.softmax(logits, axis=-1))


def _histogram(z: np.ndarray) -> dict[str, Any]:
    """Counts of every unit's pre-activations in Z_BINS bins, and how many fell outside."""
    values = z[np.isfinite(z)]
    counts, _ = np.histogram(values, bins=Z_BINS, range=(-Z_RANGE, Z_RANGE))
    return {
        "counts": counts.tolist(),
        "below": int(np.sum(values < -Z_RANGE)),
        "above": int(np.sum(values > Z_RANGE)),
    }
