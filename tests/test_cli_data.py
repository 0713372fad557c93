"""The command line's reading of data files (through sigmanet.data): checks from the header
before the data, clear messages for files that cannot be read, progress for large files."""

from __future__ import annotations

import numpy as np
import pytest

from sigmanet.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pacsv = pytest.importorskip("pyarrow.csv")


def _error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sigmanet: error: ")
    return lines[0]


def _penguins(path, n=60, *, body=None):
    rng = np.random.default_rng(0)
    rows = ["species,bill_length,body_mass_g"]
    for index in range(n):
        species = ["Adelie", "Gentoo"][index % 2]
        mass = 3500 + 25 * index + (900 if species == "Gentoo" else 0)
        rows.append(f"{species},{rng.normal(40, 3):.2f},{mass}")
    path.write_text("\n".join(rows) + "\n" + (body or ""))
    return path


def test_a_misspelt_target_or_dropped_column_fails_from_the_header_naming_close_matches(
    tmp_path, capsys
):
    # the rows after the header cannot be parsed: a failure about them would mean that the
    # data were read before the names were checked
    path = _penguins(tmp_path / "penguins.csv", body="1;2\n" * 1000)
    assert main(["train", str(path), "--target", "speceis"]) == 1
    line = _error_line(capsys)
    assert "target column 'speceis' not found (did you mean 'species'?)" in line
    argv = ["train", str(path), "--target", "species", "--drop-columns", "bill_lenght"]
    assert main(argv) == 1
    assert "--drop-columns: 'bill_lenght' not found (did you mean 'bill_length'?)" in (
        _error_line(capsys)
    )
    assert main(["train", str(path), "--target", "species"]) == 1
    assert "line 62 has 1 field(s), but the header has 3" in _error_line(capsys)


def test_a_misspelt_parquet_target_is_named_from_the_schema(tmp_path, capsys):
    path = tmp_path / "penguins.parquet"
    pq.write_table(pa.table({"species": ["a", "b"] * 10, "mass": np.arange(20.0)}), path)
    assert main(["train", str(path), "--target", "Species"]) == 1
    assert "(did you mean 'species'?)" in _error_line(capsys)


def test_the_model_file_is_checked_before_the_data_is_read(tmp_path, capsys):
    data = _penguins(tmp_path / "penguins.csv", body="1;2\n")
    for argv in (
        ["predict", str(tmp_path / "absent.st"), str(data)],
        ["evaluate", str(tmp_path / "absent.st"), str(data), "--target", "species"],
    ):
        assert main(argv) == 1
        assert "absent.st" in _error_line(capsys)


def test_a_model_s_input_columns_are_checked_from_the_header(tmp_path, capsys):
    data = _penguins(tmp_path / "penguins.csv")
    model = tmp_path / "m.st"
    argv = ["train", str(data), "--target", "species", "--max-iter", "2", "--quiet"]
    assert main([*argv, "--save", str(model)]) == 0
    capsys.readouterr()
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(data.read_text().replace("body_mass_g", "body_mass", 1) + "1;2\n")
    assert main(["predict", str(model), str(renamed)]) == 1
    line = _error_line(capsys)
    assert "input column(s) 'body_mass_g' not found (did you mean 'body_mass'?)" in line


@pytest.mark.parametrize("one_hot", [[], ["--one-hot-categoricals"]])
def test_decimal_commas_are_named_and_never_one_hot_encoded(tmp_path, capsys, one_hot):
    path = tmp_path / "eu.csv"
    lines = ["mass;length;label"] + [f"{3 + i},5;{i},25;{'ab'[i % 2]}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n")
    assert main(["train", str(path), "--target", "label", *one_hot]) == 1
    line = _error_line(capsys)
    assert "'mass' holds numbers written with a decimal comma (line 2: '3,5')" in line
    assert "decimal point" in line and "one-hot" not in line


def test_other_encodings_and_an_unclosed_quote_are_named(tmp_path, capsys):
    path = tmp_path / "utf16.csv"
    path.write_bytes("a,b\n1,2\n3,4\n".encode("utf-16"))
    assert main(["train", str(path), "--target", "b"]) == 1
    line = _error_line(capsys)
    assert "is UTF-16 text" in line and "iconv -f UTF-16 -t UTF-8" in line
    rows = ["a,b"] + [f"{i},{i % 2}" for i in range(10)] + ['10,"1'] + ["11,0"] * 190
    quoted = tmp_path / "quote.csv"
    quoted.write_text("\n".join(rows) + "\n")
    assert main(["train", str(quoted), "--target", "b"]) == 1
    assert "line 12 opens a quoted field" in _error_line(capsys)


def test_progress_on_stderr_for_large_files_as_plain_lines(tmp_path, capsys, monkeypatch):
    import sigmanet.data.csvfile as csvfile
    from sigmanet.data.progress import ReadProgress

    monkeypatch.setattr(csvfile, "MIN_PROGRESS_BYTES", 0)  # every file counts as large
    monkeypatch.setattr(csvfile, "ReadProgress", lambda *a: ReadProgress(*a, interval=0.0))
    path = _penguins(tmp_path / "penguins.csv", n=400)
    assert main(["train", str(path), "--target", "species", "--max-iter", "2"]) == 0
    err = capsys.readouterr().err
    assert "read penguins.csv: 400 rows x 3 columns" in err
    assert "\r" not in err
    assert main(["train", str(path), "--target", "species", "--max-iter", "2", "--quiet"]) == 0
    assert "read penguins.csv" not in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_train_stream_saves_a_pipeline_that_predict_and_evaluate_read(tmp_path, capsys, suffix):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3)) * [1.0, 50.0, 0.01]
    label = np.where(X[:, 0] + X[:, 1] / 50 > 0, "yes", "no")
    table = pa.table({"id": np.arange(3000), "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    table = table.append_column("label", pa.array(label))
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        pq.write_table(table, path, row_group_size=500)
    else:
        pacsv.write_csv(table, path)
    model = tmp_path / "m.st"
    argv = ["train", str(path), "--target", "label", "--stream", "--standardize"]
    argv += ["--drop-columns", "id", "--max-iter", "5", "--shuffle-buffer", "1000"]
    argv += ["--hidden-layer-sizes", "8", "--learning-rate-init", "0.02"]
    argv += ["--random-state", "0", "--save", str(model)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "streaming MLPClassifier" in out and "3,000 rows x 5 pass(es)" in out
    assert "saved the model" in out
    assert main(["evaluate", str(model), str(path), "--target", "label"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("accuracy")[1].split()[1])
    assert accuracy > 0.9
    assert main(["predict", str(model), str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3001


def test_train_stream_refuses_what_needs_the_whole_file(tmp_path, capsys):
    path = _penguins(tmp_path / "penguins.csv")
    base = ["train", str(path), "--target", "species", "--stream"]
    assert main([*base, "--one-hot-categoricals"]) == 2
    assert "--one-hot-categoricals cannot be combined with --stream" in _error_line(capsys)
    assert main([*base, "--model", "logistic"]) == 2
    assert "LogisticRegression has no partial_fit" in _error_line(capsys)
    assert main([*base, "--model", "logistic", "--solver", "adam"]) == 2
    assert "would penalise each batch as if it were the whole file" in _error_line(capsys)
    assert main([*base, "--drop-columns", "bill"]) == 1
    assert "did you mean 'bill_length'" in _error_line(capsys)


def test_predict_passes_an_id_column_through_as_the_text_it_is(tmp_path, capsys):
    data = _penguins(tmp_path / "penguins.csv")
    model = tmp_path / "m.st"
    argv = ["train", str(data), "--target", "species", "--max-iter", "2", "--quiet"]
    assert main([*argv, "--save", str(model)]) == 0
    capsys.readouterr()
    lines = data.read_text().splitlines()
    with_ids = tmp_path / "with_ids.csv"
    rows = [f"{index:03d},{line}" for index, line in enumerate(lines[1:], start=7)]
    with_ids.write_text("\n".join(["id," + lines[0], *rows]) + "\n")
    assert main(["predict", str(model), str(with_ids), "--id-column", "id"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("id,") and out[1].startswith("007,") and out[2].startswith("008,")
    assert main(["predict", str(model), str(with_ids), "--id-column", "ID_"]) == 1
    assert "--id-column 'ID_' not found (did you mean 'id'?)" in _error_line(capsys)


def _numeric_file(path, n=400, *, missing=False):
    rng = np.random.default_rng(1)
    X = np.round(rng.normal(size=(n, 4)), 4)
    y = (X @ [1.0, -1.0, 0.5, 0.0] + rng.normal(size=n) > 0).astype(int)
    rows = ["a,b,c,d,y"] + [",".join([*map(str, x), str(t)]) for x, t in zip(X, y, strict=True)]
    if missing:
        rows[5] = "," + rows[5].split(",", 1)[1]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_numeric_input_built_row_major_is_the_column_major_one():
    from sigmanet.cli._data import raw_inputs
    from sigmanet.data import ColumnValues

    rng = np.random.default_rng(0)
    n = 20_000  # more than one block of rows
    columns = {}
    for name in "abc":
        values = rng.normal(size=n)
        columns[name] = ColumnValues(name, True, values, np.isnan(values))
    for rows in (np.arange(n), np.sort(rng.choice(n, 15_000, replace=False)), np.arange(0)):
        by_column = raw_inputs(None, columns, ["c", "a", "b"], (), rows)  # type: ignore[arg-type]
        by_row = raw_inputs(None, columns, ["c", "a", "b"], (), rows, "C")  # type: ignore[arg-type]
        assert by_row.flags.c_contiguous and by_row.dtype == np.float64
        np.testing.assert_array_equal(by_row, by_column)


def test_an_identity_preprocessing_fitted_on_its_first_rows_saves_as_if_fitted_on_all(tmp_path):
    from sigmanet.cli._data import build_preprocessing, fit_identity, is_identity
    from sigmanet.persistence import save

    X = np.random.default_rng(0).normal(size=(500, 3))
    assert is_identity({}, "drop", False)
    assert not is_identity({}, "mean", False) and not is_identity({}, "none", True)
    assert not is_identity({"c": ["x"]}, "none", False)
    fast = build_preprocessing(["a", "b", "c"], {}, "none", False).set_params(columns__target="y")
    full = build_preprocessing(["a", "b", "c"], {}, "none", False).set_params(columns__target="y")
    assert fit_identity(fast, X)
    np.testing.assert_array_equal(full.fit_transform(X), X)
    save(fast, tmp_path / "fast.safetensors")
    save(full, tmp_path / "full.safetensors")
    assert (tmp_path / "fast.safetensors").read_bytes() == (
        tmp_path / "full.safetensors"
    ).read_bytes()
    # a preprocessing that changes its input is not taken for the identity
    scaling = build_preprocessing(["a", "b", "c"], {}, "none", True)
    assert not fit_identity(scaling, X * 10 + 3)


@pytest.mark.parametrize("fraction", ["0", "0.25"])
@pytest.mark.parametrize("options", [[], ["--float32"], ["--standardize"], ["--impute", "drop"]])
def test_train_prints_the_saved_pipeline_s_metrics(tmp_path, capsys, fraction, options):
    from sklearn.metrics import accuracy_score, log_loss

    from sigmanet.persistence import load

    data = _numeric_file(tmp_path / "numbers.csv", missing="drop" in options)
    model = tmp_path / "model.safetensors"
    args = ["train", str(data), "--target", "y", "--model", "logistic", "--random-state", "0"]
    status = main([*args, "--validation-fraction", fraction, "--save", str(model), *options])
    assert status == 0
    printed = {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split("│") for line in capsys.readouterr().out.splitlines())
        if len(cells) == 4
    }
    table = pacsv.read_csv(data)
    X = np.column_stack([table.column(name).to_numpy(zero_copy_only=False) for name in "abcd"])
    y = table.column("y").to_numpy()
    complete = ~np.isnan(X).any(axis=1)
    X, y = X[complete], y[complete]
    if fraction != "0":
        from sigmanet.training import validation_split

        rows = np.arange(len(y))
        _, (val,) = validation_split(rows, fraction=0.25, random_state=0, stratify=y)
        X, y = X[np.sort(val)], y[np.sort(val)]
    pipeline = load(model)
    assert int(printed["samples"]) == len(y)
    assert float(printed["accuracy"]) == pytest.approx(
        accuracy_score(y, pipeline.predict(X)), abs=1e-6
    )
    proba = pipeline.predict_proba(X)
    assert float(printed["log loss"]) == pytest.approx(log_loss(y, proba), rel=1e-5)


def _blocking_read(monkeypatch):
    """Make train's background read wait at its first block until it is cancelled (at most
    10 s), so that a test sees what happens while the file is being read."""
    import threading
    import time

    import sigmanet.data.csvfile as csvfile

    started = threading.Event()
    original = csvfile._Cancellable.read

    def read(self, nbytes=-1):
        started.set()
        for _ in range(1000):
            if self._cancelled():
                break
            time.sleep(0.01)
        return original(self, nbytes)

    monkeypatch.setattr(csvfile._Cancellable, "read", read)
    return started


def _reading_threads():
    import threading

    return [thread for thread in threading.enumerate() if thread.name == "sigmanet-read"]


def test_ctrl_c_while_the_file_is_read_in_the_background_stops_the_read(
    tmp_path, capsys, monkeypatch
):
    import sigmanet.cli.train as train

    started = _blocking_read(monkeypatch)

    def interrupted(name):  # Ctrl-C while the model's modules are imported
        assert started.wait(10)
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_estimator_class", interrupted)
    path = _penguins(tmp_path / "penguins.csv")
    assert main(["train", str(path), "--target", "species"]) == 130
    assert capsys.readouterr().err.strip() == "sigmanet: interrupted"
    assert _reading_threads() == []


def test_an_option_error_comes_first_and_stops_the_read(tmp_path, capsys, monkeypatch):
    _blocking_read(monkeypatch)
    path = _penguins(tmp_path / "penguins.csv")
    # a misspelt target too: the option is reported first, as when the file was read after
    # the options were checked
    argv = ["train", str(path), "--target", "specie", "--model", "logistic"]
    assert main([*argv, "--hidden-layer-sizes", "3"]) == 2
    assert "--hidden-layer-sizes does not apply to --model logistic" in _error_line(capsys)
    assert _reading_threads() == []
    assert main(argv) == 1
    assert "target column 'specie'" in _error_line(capsys)
    assert _reading_threads() == []


def test_a_read_is_cancelled_at_its_next_block(tmp_path):
    from sigmanet.data import read_header
    from sigmanet.data.csvfile import ReadCancelled, read_csv

    path = _penguins(tmp_path / "penguins.csv", n=20_000)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(ReadCancelled):
        read_csv(read_header(path), block_size=1 << 16, cancelled=cancelled)
    assert len(calls) == 3
    table = read_csv(read_header(path), block_size=1 << 16, cancelled=lambda: False)
    assert table.num_rows == 20_000


def test_train_stream_records_class_weights_under_the_model_s_integer_labels(tmp_path, capsys):
    import sigmanet

    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 2))
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "label": (X[:, 0] > 0.5).astype(np.int64)})
    path, model = tmp_path / "data.csv", tmp_path / "m.st"
    pacsv.write_csv(table, path)
    argv = ["train", str(path), "--target", "label", "--stream", "--class-weight", "0=1,1=4"]
    assert main([*argv, "--random-state", "0", "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    loaded = sigmanet.load(model).named_steps["model"]
    assert loaded.get_params()["class_weight"] == {0: 1.0, 1: 4.0}
    loaded.partial_fit(X, table.column("label").to_numpy())  # the weights name its classes
