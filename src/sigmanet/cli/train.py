"""``sigmanet train``: train a model on a data file, report held-out metrics, save it."""

from __future__ import annotations

import contextlib
import inspect
import math
import secrets
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np

from sigmanet.cli._command import CONTEXT_SETTINGS, EXIT_INTERRUPTED, examples, run
from sigmanet.cli._data import (
    BackgroundRead,
    _cells_checked,
    build_preprocessing,
    fit_identity,
    is_identity,
    plan_training_data,
    raw_inputs,
)
from sigmanet.cli._errors import PROG, CommandError, UsageError
from sigmanet.cli._files import _refuse_overwriting_inputs
from sigmanet.cli._models import MODELS, _estimator_class, _is_classifier, sidecar_path
from sigmanet.cli._output import _console, _emit_warnings, _print_metrics
from sigmanet.cli._types import BatchSize, ClassWeight, FiniteFloat, FloatList, IntList, NameList

IMPUTE_CHOICES = ("none", "mean", "median", "drop")
SPLITS = ("random", "chronological")

# The choices each estimator's parameters take (tests/test_cli_options.py checks them against
# the estimators; written out here so that --help imports no estimator).
_MLP_SOLVERS = ("adam", "sgd", "lbfgs", "adamw", "rmsprop", "adagrad")
_LINEAR_SOLVERS = ("lbfgs", "gd", "sgd", "minibatch", "adam")
SOLVERS = {
    "MLPClassifier": _MLP_SOLVERS,
    "MLPRegressor": _MLP_SOLVERS,
    "LogisticRegression": _LINEAR_SOLVERS,
    "SoftmaxRegression": _LINEAR_SOLVERS,
}
LOSSES = {
    "MLPClassifier": ("log_loss", "hinge"),
    "MLPRegressor": ("squared_error", "huber", "poisson"),
}
SCHEDULES = ("constant", "invscaling", "adaptive", "step", "exponential", "cosine", "annealed")
_DEFAULT_HIDDEN_LAYERS = (100,)


def _one_or_many(values: list[Any], option: str, args: Any) -> Any:
    """One value for every hidden layer, or one per hidden layer (a tuple)."""
    if len(values) == 1:
        return values[0]
    layers = tuple(args.hidden_layer_sizes or _DEFAULT_HIDDEN_LAYERS)
    if len(values) != len(layers):
        raise UsageError(
            f"{option} gives {len(values)} values for {len(layers)} hidden layer(s) "
            f"(--hidden-layer-sizes {','.join(map(str, layers))}); give one for every layer, "
            "or one per layer"
        )
    return tuple(values)


def _model_options(args: Any, cls: type) -> dict[str, Any]:
    """Constructor arguments from the command line, refusing options the model lacks."""
    class_name = MODELS[args.model]
    accepted = set(cls().get_params())
    linear = class_name in ("LogisticRegression", "SoftmaxRegression")
    for option, value, table in (
        ("--solver", args.solver, SOLVERS),
        ("--loss", args.loss, LOSSES),
    ):
        if value is not None and value not in table.get(class_name, ()):
            known = table.get(class_name)
            raise UsageError(
                f"{option} {value} does not apply to --model {args.model}"
                + (f" (its choices: {', '.join(known)})" if known else "")
            )
    batch_size = args.batch_size
    if linear and batch_size == "full":
        raise UsageError(
            f"--batch-size full does not apply to --model {args.model}: its full-batch solvers "
            "are --solver lbfgs (the default) and --solver gd"
        )
    if linear and batch_size == "auto":
        batch_size = None  # the linear models' own default
    given: dict[str, tuple[str, Any]] = {
        "--hidden-layer-sizes": ("hidden_layer_sizes", args.hidden_layer_sizes),
        "--activation": (
            "activation",
            None
            if args.activation is None
            else _one_or_many(args.activation, "--activation", args),
        ),
        "--dropout": (
            "dropout",
            None if args.dropout is None else _one_or_many(args.dropout, "--dropout", args),
        ),
        "--solver": ("solver", args.solver),
        "--loss": ("loss", args.loss),
        "--huber-delta": ("huber_delta", args.huber_delta),
        "--max-iter": ("max_iter", args.max_iter),
        "--learning-rate-init": ("learning_rate_init", args.learning_rate_init),
        "--schedule": ("learning_rate", args.schedule),
        "--batch-size": ("batch_size", batch_size),
        "--class-weight": ("class_weight", args.class_weight),
        "--early-stopping": ("early_stopping", True if args.early_stopping else None),
        "--n-iter-no-change": ("n_iter_no_change", args.n_iter_no_change),
        "--tol": ("tol", args.tol),
        "--random-state": ("random_state", args.random_state),
    }
    if linear and args.schedule == "annealed" and args.learning_rate_init is not None:
        raise UsageError(
            "--schedule annealed (4/(1+epoch+i)+0.01) has no initial learning rate; "
            "leave out --learning-rate-init"
        )
    params: dict[str, Any] = {}
    for option, (name, value) in given.items():
        if value is None:
            continue
        if name not in accepted:
            raise UsageError(f"{option} does not apply to --model {args.model}")
        params[name] = value
    if args.alpha is not None:
        if "alpha" in accepted:
            params["alpha"] = args.alpha
        elif "C" in accepted and args.alpha > 0:
            params["C"] = 1.0 / args.alpha  # the same penalty: alpha = 1/C
        else:
            raise UsageError(f"--alpha {args.alpha:g} does not apply to --model {args.model}")
    if "verbose" in accepted:
        # the MLPs report through the command's own callback (see _progress); the linear
        # models take no callbacks, so a terminal gets their progress bar
        terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())
        show = not args.quiet and linear and terminal
        params["verbose"] = "progress" if show else False
    return params


def _split(
    rows: np.ndarray,
    y: np.ndarray,
    fraction: float,
    classifier: bool,
    seed: Any,
    stderr: Any,
    chronological: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    if fraction == 0:
        return rows, rows[:0]
    from sigmanet.training import validation_split

    n_val = math.ceil(fraction * rows.size)
    if n_val < 1 or rows.size - n_val < 1:
        raise CommandError(
            f"cannot hold out {fraction:g} of {rows.size} rows for validation; use more data or "
            "--validation-fraction 0"
        )
    if chronological:
        # the rows in the file's order: the model is measured on the rows after those it
        # learnt from, as it will be used on data that come later
        return rows[: rows.size - n_val], rows[rows.size - n_val :]
    try:
        # the split the estimators' early stopping makes, so the two agree for one seed
        (train,), (val,) = validation_split(
            rows, fraction=fraction, random_state=seed, stratify=y[rows] if classifier else None
        )
    except ValueError:
        # stratification needs >= 2 members per class and a split large enough for each class
        print(
            f"{PROG}: note: the validation split is not stratified (some classes are too small)",
            file=stderr,
        )
        (train,), (val,) = validation_split(rows, fraction=fraction, random_state=seed)
    return np.sort(train), np.sort(val)


def _import_ahead(args: Any, estimator: Any) -> None:
    """Import what the steps after the read need, while the read runs.

    pyarrow parses the file in its own threads, without the GIL; these imports do not depend
    on the data (the preprocessing's scikit-learn modules, numba for the compiled engine, the
    model file's writer: about a second), so they are the main thread's work meanwhile rather
    than after the read.
    """
    import sklearn.compose
    import sklearn.pipeline

    if args.impute in ("mean", "median"):
        import sklearn.impute  # noqa: F401
    if estimator.get_params().get("engine") != "numpy":  # the linear models have no choice
        from sigmanet import engine

        engine.available()  # imports numba, as the fit's first call would
    if args.save:
        import sigmanet.persistence  # noqa: F401


def _fit_step(step: Any, X: Any, *fit_args: Any, transform: bool = False) -> Any:
    try:
        return step.fit_transform(X, *fit_args) if transform else step.fit(X, *fit_args)
    except ValueError as error:
        raise CommandError(f"preprocessing failed: {error}") from error


def _fit_identity(preprocessing: Any, X: np.ndarray) -> bool:
    try:
        return fit_identity(preprocessing, X)
    except ValueError as error:
        raise CommandError(f"preprocessing failed: {error}") from error


def cmd_train(args: Any, stdout: Any, stderr: Any) -> int:
    reading = None
    if not args.stream:
        # pyarrow reads the file while the model's modules (scikit-learn, SciPy: seconds)
        # are imported and the options checked; its errors are raised where it is read below
        drop = args.drop_columns or []
        reading = BackgroundRead(
            args.data,
            required={"target column": [args.target], "--drop-columns:": drop},
            skip=drop,
            progress=None if args.quiet else stderr,
        )
    try:
        return _train(args, stdout, stderr, reading)
    finally:
        if reading is not None:
            reading.close()


def _train(args: Any, stdout: Any, stderr: Any, reading: BackgroundRead | None) -> int:
    class_name = MODELS[args.model]
    cls = _estimator_class(class_name)  # the chosen model's module alone is imported
    if cls is None:
        raise CommandError(f"--model {args.model} ({class_name}) is not available in this sigmanet")
    if args.random_state is None:
        # drawn here rather than left to chance inside the fit, so that it can be shown and
        # is recorded in the model file (the model's random_state), and the run repeated
        args.random_state = secrets.randbelow(2**31)
    if args.early_stopping and args.split == "chronological":
        raise UsageError(
            "--early-stopping holds out a random tenth of the training rows to decide when to "
            "stop, which mixes later rows into the earlier ones that --split chronological "
            "keeps apart; leave out one of the two"
        )
    params = _model_options(args, cls)
    if args.save:
        _refuse_overwriting_inputs("--save", args.save, {"training data file": args.data})
    if args.save and not args.force and Path(args.save).exists():
        raise CommandError(f"{args.save} already exists; pass --force to overwrite it")
    if args.save and not Path(args.save).resolve().parent.is_dir():
        raise CommandError(f"cannot save to {args.save}: its directory does not exist")
    if args.report:
        _check_report_path(args.report, args.force)
    estimator = cls(**params)
    classifier = _is_classifier(estimator)
    if args.scale_target and classifier:
        raise UsageError(f"--scale-target applies to regressors, not to --model {args.model}")

    drop = args.drop_columns or []
    if args.target in drop:
        raise UsageError(f"the target column {args.target!r} cannot also be in --drop-columns")
    if args.stream:
        from sigmanet.cli._stream import save_streamed, train_streaming

        streamed = train_streaming(args, estimator, drop, _console(stdout))
        if args.save:
            save_streamed(args, streamed, _console(stdout))
        return 0
    assert reading is not None  # started by cmd_train unless --stream
    _import_ahead(args, estimator)
    table = reading.result()
    plan = plan_training_data(
        table,
        args.target,
        args.drop_columns or [],
        args.one_hot_categoricals,
        args.impute,
        classifier,
    )
    rows, y_all = plan.rows, plan.y
    if classifier and plan.target_kind == "float":
        fractional = rows[y_all[rows] != np.round(y_all[rows])]
        row = int(fractional[0]) if fractional.size else int(rows[0])
        raise CommandError(
            f"{table.source}: the target {args.target!r} holds numbers that are not whole "
            f"({table.where(row)}: {table.cell(args.target, row)!r}); --model {args.model} "
            "is a classifier and needs class labels (integers or text). For a numeric target "
            "pass --model mlp-regressor"
        )
    dropped = table.n_rows - rows.size
    if dropped:
        print(f"{PROG}: note: dropped {dropped} row(s) with missing values", file=stderr)
    if classifier:
        n_classes = len(np.unique(y_all[rows]))
        if n_classes < 2:
            raise CommandError(f"{table.source}: the target {args.target!r} has a single class")
        if n_classes > max(20, rows.size // 10):
            print(
                f"{PROG}: note: the target has {n_classes} distinct values; for a numeric "
                "target pass --model mlp-regressor",
                file=stderr,
            )
    if classifier and isinstance(args.class_weight, dict):
        estimator.set_params(
            class_weight=_class_weights(args.class_weight, y_all[rows], plan.target_kind, args)
        )
    train_rows, val_rows = _split(
        rows,
        y_all,
        args.validation_fraction,
        classifier,
        args.random_state,
        stderr,
        chronological=args.split == "chronological",
    )
    if args.impute in ("mean", "median"):
        for name in plan.features:
            if plan.columns[name].missing[train_rows].all():
                # the imputer would leave the column out, without a word
                raise CommandError(
                    f"{table.source}: column {name!r} has no values in the training rows (its "
                    "few values fell in the validation split) to fill its missing values from; "
                    f"drop it with --drop-columns {name}, or pass --validation-fraction 0"
                )
    categorical = plan.categorical
    # numeric columns only, passed through unchanged: the input is built row-major, the
    # layout the model computes in, and is the model's input itself (no copy)
    identity = is_identity(categorical, args.impute, args.standardize)
    order = "C" if identity else "F"
    raw_train = raw_inputs(table, plan.columns, plan.features, categorical, train_rows, order)
    raw_val = raw_inputs(table, plan.columns, plan.features, categorical, val_rows, order)
    y_train, y_val = y_all[train_rows], y_all[val_rows]

    # The preprocessing is fitted on the training rows alone, then the model on its output;
    # the pipeline of the two is what is measured below and saved.
    preprocessing = build_preprocessing(
        plan.features, plan.categorical, args.impute, args.standardize
    )
    # the model file records which column it predicts (evaluate reads the labels from it)
    preprocessing.set_params(columns__target=args.target)
    dtype = np.float32 if args.float32 else np.float64
    with _cells_checked():
        if identity and _fit_identity(preprocessing, raw_train):
            X_train, X_val = raw_train, (raw_val if val_rows.size else None)
        else:
            # fitted and applied in one pass over the rows; its output is a new array
            # already, so no second copy of the data
            X_train = _fit_step(preprocessing, raw_train, transform=True)
            X_val = preprocessing.transform(raw_val) if val_rows.size else None
        # the saved pipeline gives the model float64 (the preprocessing's output); the
        # metrics below reuse these matrices only when they are that input exactly
        inputs_exact = X_train.dtype == np.float64
        X_train = X_train.astype(dtype, copy=False)
        X_val = None if X_val is None else X_val.astype(dtype, copy=False)

    model: Any = estimator
    fit_kwargs: dict[str, Any] = {}
    if args.scale_target:
        from sklearn.compose import TransformedTargetRegressor

        from sigmanet.preprocessing import StableStandardScaler

        model = TransformedTargetRegressor(regressor=estimator, transformer=StableStandardScaler())
    signature = inspect.signature(estimator.fit).parameters
    if X_val is not None and "validation_data" in signature:
        y_val_seen = y_val
        if args.scale_target:
            # the regressor learns the standardised target, so its validation target is too;
            # the target transformer fits the same scaler on the same rows
            from sigmanet.preprocessing import StableStandardScaler

            target_scaler = _fit_step(StableStandardScaler(), y_train.reshape(-1, 1))
            y_val_seen = target_scaler.transform(y_val.reshape(-1, 1)).ravel()
        fit_kwargs["validation_data"] = (X_val, y_val_seen)
    recorder = _report_recorder(args, signature, fit_kwargs)
    monitor = None
    if "callbacks" in signature:
        from sigmanet.cli._progress import TrainingMonitor

        monitor = TrainingMonitor(estimator.max_iter, stderr, show=not args.quiet)
        fit_kwargs["callbacks"] = [*fit_kwargs.get("callbacks", []), monitor]
    # Ctrl-C with --save ends the epoch under way and saves what was trained, where the fit
    # can be told to stop (a stochastic solver); L-BFGS and the linear models stop at once
    keep_on_interrupt = bool(args.save) and monitor is not None and estimator.solver != "lbfgs"
    from sklearn.pipeline import Pipeline

    from sigmanet.exceptions import DivergenceError

    with (
        warnings.catch_warnings(record=True) as caught,
        _interrupt_stops(monitor if keep_on_interrupt else None, args.save, stderr),
    ):
        # the line that says training starts comes once Ctrl-C is taken care of
        held_out = ("the last " if args.split == "chronological" else "") + str(val_rows.size)
        console = _console(stdout)
        console.print(
            f"training {class_name} on {X_train.shape[0]} rows x {X_train.shape[1]} features"
            + (f", validating on {held_out} rows" if val_rows.size else "")
            + (" (standardised target)" if args.scale_target else "")
            + f", seed {args.random_state}"
        )
        warnings.simplefilter("always")
        try:
            model.fit(X_train, y_train, **fit_kwargs)
        except DivergenceError as error:
            hint = "a smaller --learning-rate-init" + (
                "" if args.standardize else ", or --standardize"
            )
            raise CommandError(f"{error} On the command line: {hint}.") from error
        except ValueError as error:
            raise CommandError(f"training failed: {error}") from error
    _emit_warnings(caught, stderr)
    interrupted = monitor is not None and monitor.stopped
    pipeline = Pipeline([("preprocessing", preprocessing), ("model", model)])

    fitted = model.regressor_ if args.scale_target else model
    loss_curve = list(getattr(fitted, "loss_curve_", None) or [])
    n_iter = getattr(fitted, "n_iter_", "?")
    if isinstance(n_iter, np.ndarray):  # the linear models keep scikit-learn's array of one
        n_iter = int(n_iter.max())
    summary = f"done: {n_iter} iteration(s)"
    if loss_curve:
        summary += f", final training loss {loss_curve[-1]:.6g}"
        if args.scale_target:
            summary += " (standardised target)"
    console.print(summary)
    # The metrics are the saved pipeline's on the held-out (or training) rows. When the
    # matrices the model was given are exactly what the preprocessing gives it (float64), the
    # model is measured on them, rather than the rows transformed again (twice: for predict
    # and for predict_proba).
    if val_rows.size:
        shown = (X_val, raw_val, y_val, f"validation split ({val_rows.size} rows)")
    else:
        title = "training data (no validation split: --validation-fraction 0)"
        shown = (X_train, raw_train, y_train, title)
    X_shown, raw_shown, y_shown, title = shown
    with _cells_checked():
        if inputs_exact and X_shown is not None and X_shown.dtype == np.float64:
            _print_metrics(console, model, X_shown, y_shown, title)
        else:
            _print_metrics(console, pipeline, raw_shown, y_shown, title)

    if args.save:
        from sigmanet.persistence import save

        try:
            save(pipeline, args.save, overwrite=args.force)
        except FileExistsError as error:
            raise CommandError(
                f"{args.save} already exists; pass --force to overwrite it"
            ) from error
        console.print(f"saved the model and its preprocessing to {args.save}")
        if interrupted:
            kept = (
                "the weights of its best validation score"
                if getattr(estimator, "early_stopping", False)
                else f"the weights after epoch {monitor.epochs}"  # type: ignore[union-attr]
            )
            print(
                f"{PROG}: interrupted: saved the model trained so far ({kept}) to {args.save}",
                file=stderr,
            )
        if sidecar_path(args.save).exists():
            print(
                f"{PROG}: note: {sidecar_path(args.save)} belongs to the model this one replaced "
                "and is not used any more; delete it",
                file=stderr,
            )
    if args.report:
        _write_train_report(args, model, preprocessing, recorder, X_train, y_train, X_val, y_val)
        console.print(f"wrote the training report to {args.report}")
    return EXIT_INTERRUPTED if interrupted else 0


@contextlib.contextmanager
def _interrupt_stops(monitor: Any, save: str | None, stderr: Any) -> Iterator[None]:
    """While training: the first Ctrl-C asks ``monitor`` to stop after the epoch under way.

    A second Ctrl-C interrupts at once (nothing is saved). Without a monitor, or outside the
    main thread (where signal handlers cannot be set), Ctrl-C interrupts as usual.
    """
    if monitor is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        if monitor.stopped:
            raise KeyboardInterrupt
        monitor.stop()
        print(
            f"{PROG}: interrupted: finishing the epoch under way, then saving the model "
            f"trained so far to {save} (Ctrl-C again to stop at once, saving nothing)",
            file=stderr,
            flush=True,
        )

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _class_weights(
    weights: dict[str, float], y: np.ndarray, kind: str, args: Any
) -> dict[Any, float]:
    """``--class-weight LABEL=W,...`` with the labels as the target's own values."""
    labels = {str(label): label for label in np.unique(y).tolist()}
    if kind == "int":
        labels = {str(int(label)): int(label) for label in labels.values()}
    unknown = [label for label in weights if label not in labels]
    if unknown:
        raise CommandError(
            f"--class-weight names class(es) {', '.join(map(repr, unknown))} that the target "
            f"{args.target!r} does not hold; its classes: {', '.join(sorted(labels))}"
        )
    return {labels[label]: weight for label, weight in weights.items()}


def _check_report_path(path: str, force: bool) -> None:
    if Path(path).exists() and not force:
        raise CommandError(f"{path} already exists; pass --force to overwrite it")
    if not Path(path).resolve().parent.is_dir():
        raise CommandError(f"cannot write the report {path}: its directory does not exist")


def _report_recorder(args: Any, signature: Any, fit_kwargs: dict) -> Any:
    """A gradient-flow recorder for ``--report``, added to the fit's callbacks if it takes any."""
    if not args.report or "callbacks" not in signature:
        return None
    from sigmanet.diagnostics import GradientFlowRecorder

    recorder = GradientFlowRecorder()
    fit_kwargs["callbacks"] = [recorder]
    return recorder


def _write_train_report(
    args: Any,
    model: Any,
    preprocessing: Any,
    recorder: Any,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray,
) -> None:
    from sigmanet.report import write_report

    # what the run was, not where its outputs went or how it talked
    ignored = ("func", "command", "force", "report", "quiet")
    options = {key: value for key, value in sorted(vars(args).items()) if key not in ignored}
    held_out = (X_val, y_val) if X_val is not None else (None, None)
    try:
        names = [str(name) for name in preprocessing.get_feature_names_out()]
    except (AttributeError, ValueError):
        names = None
    fitted = getattr(model, "regressor_", model)
    try:
        write_report(
            args.report,
            model,
            X_train,
            y_train,
            X_val=held_out[0],
            y_val=held_out[1],
            feature_names=names,
            title=f"sigmanet train {Path(args.data).name}: {type(fitted).__name__}",
            config={"command": "train", "options": options},
            gradient_flow=recorder,
            overwrite=args.force,
        )
    except OSError as error:
        raise CommandError(f"cannot write the report {args.report}: {error}") from error


@click.command(
    "train",
    context_settings=CONTEXT_SETTINGS,
    short_help="train a model on a CSV/Parquet file",
    epilog=examples(
        """examples:
  sigmanet train iris.csv --target species --model mlp-classifier \\
      --hidden-layer-sizes 16 --activation tanh --max-iter 300 --save iris.safetensors
  sigmanet train houses.csv --target price --model mlp-regressor --standardize \\
      --one-hot-categoricals --impute median --drop-columns id
  sigmanet train balances.csv --target balance --model mlp-regressor --standardize \\
      --scale-target --save balances.safetensors
  sigmanet train moons.csv --target label --random-state 0 --report report.html

--save writes ONE file: the fitted preprocessing (input columns, imputation, one-hot
categories, scaling) and the model, as one scikit-learn pipeline that predict, evaluate,
info and plot read back."""
    ),
)
@click.argument("data", metavar="DATA")
@click.option("--target", required=True, metavar="COLUMN", help="the column to predict")
@click.option(
    "--model",
    type=click.Choice(sorted(MODELS)),
    default="mlp-classifier",
    show_default=True,
    help="model to train",
)
@click.option(
    "--hidden-layer-sizes",
    type=IntList(),
    help="hidden layer widths, e.g. 64,32 (MLPs; default 100)",
)
@click.option(
    "--activation",
    type=NameList(),
    metavar="NAME[,NAME...]",
    help="hidden activation, e.g. relu, sigmoid, tanh, gelu; one for every hidden layer or "
    "one per layer, e.g. tanh,relu (MLPs)",
)
@click.option(
    "--dropout",
    type=FloatList(min=0, max=1, max_open=True),
    metavar="P[,P...]",
    help="inverted-dropout rate after each hidden layer, in [0, 1); one or one per layer (MLPs)",
)
@click.option(
    "--solver",
    type=click.Choice(sorted({*_MLP_SOLVERS, *_LINEAR_SOLVERS})),
    help="MLPs: adam (default), sgd, lbfgs, adamw, rmsprop, adagrad; logistic/softmax: lbfgs "
    "(default), gd, sgd, minibatch, adam",
)
@click.option(
    "--loss",
    type=click.Choice(sorted({loss for losses in LOSSES.values() for loss in losses})),
    help="mlp-classifier: log_loss (default), hinge; mlp-regressor: squared_error (default), "
    "huber, poisson",
)
@click.option(
    "--huber-delta",
    type=FiniteFloat(min=0, min_open=True),
    metavar="D",
    help="where --loss huber turns from quadratic to linear (default 1)",
)
@click.option("--max-iter", type=click.IntRange(min=1), metavar="N", help="epochs/iterations")
@click.option(
    "--learning-rate-init",
    type=FiniteFloat(min=0, min_open=True),
    metavar="ETA",
    help="initial learning rate",
)
@click.option(
    "--schedule",
    type=click.Choice(SCHEDULES),
    help="learning-rate schedule of the stochastic solvers (default: constant for the MLPs; "
    "for logistic/softmax, the solver's own)",
)
@click.option(
    "--alpha",
    type=FiniteFloat(min=0),
    metavar="A",
    help="L2 penalty (for logistic/softmax: C = 1/A)",
)
@click.option(
    "--batch-size",
    type=BatchSize(),
    help="mini-batch size, 'auto' or 'full' (batch gradient descent)",
)
@click.option(
    "--class-weight",
    type=ClassWeight(),
    metavar="balanced|LABEL=W,...",
    help="classifiers: weight the classes, 'balanced' (inversely to their frequency) or per "
    "label, e.g. yes=10,no=1",
)
@click.option(
    "--early-stopping",
    is_flag=True,
    help="MLPs: hold out a tenth of the training rows and stop when their score stops "
    "improving, keeping the best weights",
)
@click.option(
    "--n-iter-no-change",
    type=click.IntRange(min=1),
    metavar="N",
    help="epochs without improvement before stopping (MLPs default 10, logistic/softmax 5)",
)
@click.option(
    "--tol",
    type=FiniteFloat(min=0),
    metavar="T",
    help="the improvement that counts (default 1e-4)",
)
@click.option(
    "--validation-fraction",
    type=FiniteFloat(min=0, max=1, max_open=True),
    default=0.1,
    metavar="F",
    help="share of rows held out for the final metrics (default 0.1; 0: none)",
)
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    default="random",
    show_default=True,
    help="which rows are held out: a random (stratified) share, or the last rows of the file "
    "(for rows in time order)",
)
@click.option(
    "--random-state",
    type=click.IntRange(min=0),
    metavar="SEED",
    help="seed of the split and the model (default: drawn, printed and saved in the model)",
)
@click.option(
    "--save",
    metavar="MODEL",
    help="write the trained model to this file; Ctrl-C during training then saves the model "
    "trained so far (stochastic solvers)",
)
@click.option("--force", is_flag=True, help="overwrite an existing MODEL")
@click.option(
    "--report",
    metavar="FILE.html",
    help="write a self-contained HTML training report (figures, metrics, the run as JSON)",
)
@click.option("--drop-columns", type=NameList(), help="columns to ignore")
@click.option("--one-hot-categoricals", is_flag=True, help="one-hot encode non-numeric columns")
@click.option(
    "--impute",
    type=click.Choice(IMPUTE_CHOICES),
    default="none",
    help="missing values: fill with the column mean/median, drop the rows, "
    "or refuse (none, the default)",
)
@click.option(
    "--standardize",
    is_flag=True,
    help="centre and scale the numeric features by their training mean and std",
)
@click.option(
    "--scale-target",
    is_flag=True,
    help="regressors: learn the target standardised by its training mean and std "
    "(predictions come back in the target's units)",
)
@click.option("--float32", is_flag=True, help="train in float32")
@click.option(
    "--stream",
    is_flag=True,
    help="train from the file in row batches, memory flat in its size (MLPs; --max-iter "
    "passes, default 1; no validation split)",
)
@click.option(
    "--shuffle-buffer",
    type=click.IntRange(min=0),
    default=65536,
    show_default=True,
    metavar="ROWS",
    help="with --stream: rows mixed in memory between the file's batches",
)
@click.option("--quiet", is_flag=True, help="no progress output")
def command(**options: Any) -> int:
    """Train a model on DATA (a CSV file, or .parquet with pyarrow) and report metrics on a
    held-out split."""
    return run(cmd_train, options)
