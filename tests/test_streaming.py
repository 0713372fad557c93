"""sigmanet.streaming: training from a Parquet file in row batches through partial_fit."""

import numpy as np
import pytest

from sigmanet import LogisticRegression, MLPClassifier, MLPRegressor
from sigmanet.streaming import fit_parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _write(path, n=6000, row_group_size=700, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)) * [1.0, 3.0, 10.0, 0.1] + [0.0, 5.0, -100.0, 2.0]
    score = X[:, 0] + (X[:, 1] - 5.0) / 3.0
    y = np.where(score > 0.5, "high", np.where(score < -0.5, "low", "mid"))
    y[-1] = "rare"  # a class only the last row group holds
    columns = {f"x{i}": X[:, i] for i in range(4)}
    columns["count"] = rng.integers(0, 5, size=n)  # an integer feature
    pq.write_table(pa.table({**columns, "label": y}), path, row_group_size=row_group_size)
    X_all = np.column_stack([X, columns["count"]])
    return X_all, y


def test_a_classifier_learns_from_the_stream_with_the_whole_file_s_statistics(tmp_path):
    path = tmp_path / "data.parquet"
    X, y = _write(path)
    estimator = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.02, random_state=0)
    model, report = fit_parquet(
        estimator, path, "label", epochs=3, batch_rows=500, shuffle_buffer=2000, random_state=1
    )
    assert report.rows == 6000 and report.epochs == 3 and report.rows_per_second > 0
    assert estimator.t_ == 3 * 6000  # every row once per epoch
    np.testing.assert_array_equal(estimator.classes_, ["high", "low", "mid", "rare"])
    scaler = model.named_steps["scale"]
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, X.var(axis=0), rtol=1e-10)
    assert model.score(X, y) > 0.9


def test_the_same_seed_gives_the_same_model_and_a_regressor_without_scaling(tmp_path):
    path = tmp_path / "data.parquet"
    _write(path)
    fits = []
    for _ in range(2):
        estimator = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
        model, _ = fit_parquet(
            estimator,
            path,
            "x0",
            features=["x1", "count"],
            standardize=False,
            random_state=3,
            shuffle_buffer=1000,
        )
        assert model is estimator
        fits.append(np.concatenate([w.ravel() for w in estimator.coefs_]))
    np.testing.assert_array_equal(fits[0], fits[1])
    other = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    fit_parquet(
        other,
        path,
        "x0",
        features=["x1", "count"],
        standardize=False,
        random_state=4,
        shuffle_buffer=1000,
    )
    assert not np.array_equal(fits[0], np.concatenate([w.ravel() for w in other.coefs_]))


def test_without_a_shuffle_buffer_batches_go_straight_in(tmp_path):
    path = tmp_path / "data.parquet"
    _write(path, n=1000, row_group_size=300)
    estimator = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    _, report = fit_parquet(estimator, path, "label", shuffle_buffer=0, batch_rows=100)
    assert report.calls == 10  # 3 row groups of 300 rows and one of 100, in batches of 100
    assert estimator.t_ == 1000


def test_bad_files_and_arguments_get_errors_that_name_the_problem(tmp_path):
    path = tmp_path / "data.parquet"
    X, y = _write(path, n=100, row_group_size=40)
    model = MLPClassifier()
    with pytest.raises(ValueError, match="target column 'nope' is not in the file"):
        fit_parquet(model, path, "nope")
    with pytest.raises(ValueError, match="feature column 'zz' is not in the file"):
        fit_parquet(model, path, "label", features=["zz"])
    with pytest.raises(TypeError, match="LogisticRegression has no partial_fit"):
        fit_parquet(LogisticRegression(), path, "label")
    with pytest.raises(TypeError, match="streaming does not train LogisticRegression"):
        fit_parquet(LogisticRegression(solver="adam"), path, "label")
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        fit_parquet(model, path, "label", epochs=0)
    with pytest.raises(ValueError, match="shuffle_buffer must be an integer >= 0"):
        fit_parquet(model, path, "label", shuffle_buffer=-1)
    with pytest.raises(TypeError, match="feature column 'label' has type string"):
        fit_parquet(MLPRegressor(), path, "x0")
    X[55, 2] = np.nan
    columns = {f"x{i}": X[:, i] for i in range(4)}
    pq.write_table(pa.table({**columns, "label": y}), path, row_group_size=40)
    with pytest.raises(ValueError, match=r"feature column 'x2' has NaN .* row group 1"):
        fit_parquet(model, path, "label")
    assert not hasattr(model, "network_")


def _write_csv(path, X, y):
    lines = ["x0,x1,x2,x3,count,label"]
    lines += [
        ",".join([*(f"{v:.10g}" for v in row[:4]), str(int(row[4])), str(label)])
        for row, label in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_a_csv_file_streams_like_the_parquet_file_with_the_same_rows(tmp_path):
    from sigmanet.streaming import fit_csv, fit_file

    X, y = _write(tmp_path / "data.parquet")
    _write_csv(tmp_path / "data.csv", X, y)
    estimator = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.02, random_state=0)
    model, report = fit_file(
        estimator, tmp_path / "data.csv", "label", epochs=3, shuffle_buffer=2000, random_state=1
    )
    assert report.rows == 6000 and report.epochs == 3
    assert estimator.t_ == 3 * 6000
    np.testing.assert_array_equal(estimator.classes_, ["high", "low", "mid", "rare"])
    scaler = model.named_steps["scale"]
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-9)
    assert model.score(X, y) > 0.9
    # integer labels come back as integers, as they would from the whole file
    numbers = np.where(y == "high", 1, 0)
    _write_csv(tmp_path / "numbers.csv", X, numbers)
    classifier = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    fit_csv(classifier, tmp_path / "numbers.csv", "label", shuffle_buffer=0)
    assert classifier.classes_.dtype.kind == "i"
    np.testing.assert_array_equal(classifier.classes_, [0, 1])


def test_csv_streaming_errors_name_the_column_and_rows(tmp_path):
    from sigmanet.data import DataFileError
    from sigmanet.streaming import fit_csv

    X, y = _write(tmp_path / "data.parquet", n=300)
    path = tmp_path / "data.csv"
    _write_csv(path, X, y)
    with pytest.raises(DataFileError, match="did you mean 'label'"):
        fit_csv(MLPClassifier(), path, "labels")
    text = path.read_text().splitlines()
    text[101] = text[101].replace(text[101].split(",")[1], "4250g", 1)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match="cannot stream it") as caught:
        fit_csv(MLPClassifier(), path, "label")
    assert "4250g" in str(caught.value)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_balanced_class_weights_come_from_the_whole_file_not_each_batch(
    tmp_path, monkeypatch, suffix
):
    from sklearn.utils.class_weight import compute_class_weight

    from sigmanet.streaming import _CsvSource, fit_file

    X, y = _write(tmp_path / "data.parquet", n=3000, row_group_size=3000)
    # the rows in label order, so that every batch holds other class proportions than the file
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    path = tmp_path / f"sorted.{suffix}"
    if suffix == "csv":  # integer labels, read as text and turned into integers
        y = np.unique(y, return_inverse=True)[1]
        _write_csv(path, X, y)
        monkeypatch.setattr(_CsvSource, "BLOCK_BYTES", 16 << 10)  # several blocks
    else:
        columns = {name: X[:, i] for i, name in enumerate(["x0", "x1", "x2", "x3", "count"])}
        pq.write_table(pa.table({**columns, "label": y}), path)
    classes = np.unique(y)
    whole = dict(
        zip(classes.tolist(), compute_class_weight("balanced", classes=classes, y=y), strict=True)
    )

    def streamed(class_weight):
        estimator = MLPClassifier(
            hidden_layer_sizes=(4,), class_weight=class_weight, random_state=0
        )
        _, report = fit_file(
            estimator, path, "label", batch_rows=250, shuffle_buffer=0, random_state=0
        )
        assert report.calls > 4  # batches of other proportions than the whole file's
        return estimator

    balanced, explicit = streamed("balanced"), streamed(whole)
    for a, b in zip(balanced.coefs_, explicit.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # the estimator keeps the user's parameter, and so does what a model file records
    assert balanced.get_params()["class_weight"] == "balanced"
    assert balanced._fitted_params["class_weight"] == "balanced"


def test_text_keys_of_class_weight_follow_csv_labels_turned_into_integers(tmp_path):
    from sigmanet.streaming import fit_csv

    X, y = _write(tmp_path / "data.parquet", n=600, row_group_size=600)
    _write_csv(tmp_path / "numbers.csv", X, np.where(y == "high", 1, 0))
    fits = []
    for weights in ({"0": 1.0, "1": 5.0}, {0: 1.0, 1: 5.0}):
        estimator = MLPClassifier(hidden_layer_sizes=(4,), class_weight=weights, random_state=0)
        fit_csv(estimator, tmp_path / "numbers.csv", "label", shuffle_buffer=0)
        assert estimator.class_weight is weights  # the user's own dict, keys unchanged
        fits.append(estimator.coefs_[0])
    np.testing.assert_array_equal(fits[0], fits[1])
    unweighted = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    fit_csv(unweighted, tmp_path / "numbers.csv", "label", shuffle_buffer=0)
    assert not np.array_equal(fits[0], unweighted.coefs_[0])  # the weights did apply
