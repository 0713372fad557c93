"""The ``sigmanet`` command: train, predict, evaluate, info, export, plot, trace, demo, playground.

Run ``sigmanet --help`` (or ``python -m sigmanet --help``) for the commands, and
``sigmanet COMMAND --help`` for each one's options and an example.

Data files
----------
CSV (any extension but ``.parquet``/``.pq``, compressed ones too: ``.gz``, ``.bz2``, ``.zst``;
UTF-8, optional BOM) with a header row, or Parquet; both read by pyarrow
(:mod:`sigmanet.data`), multithreaded. The delimiter is a tab for ``.tsv`` files, otherwise
whichever of ``,``, ``;``, tab and ``|`` occurs most often in the header line. Empty cells and
``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``?`` (any case) are missing values. The header
(or the Parquet schema) is read first: a misspelt ``--target``, ``--drop-columns`` name or a
model's input column fails at once, naming the closest columns, however large the file. Large
files show their progress on stderr. A record longer than 16 MB (a file without line breaks,
a quote never closed) is an error, not unbounded memory.

Preprocessing
-------------
By default every column but the target must be numeric and complete; anything else is an error
naming the columns and the option that handles them:

* ``--drop-columns a,b`` ignores columns (identifiers, free text);
* ``--one-hot-categoricals`` encodes each non-numeric column as one 0/1 column per category
  seen in the training rows; a category unseen in training is an error at prediction time.
  Numeric columns are never one-hot encoded: a column whose present cells are mostly (more
  than half) numbers, with a few that are not (``4250g``), is an error naming those cells and
  their lines;
* ``--impute mean|median`` fills a numeric column's missing values with the mean/median of
  its training rows (categorical columns: their most frequent category); ``--impute drop``
  drops rows with a missing value before training; rows whose target is missing are dropped
  whenever ``--impute`` is not ``none``;
* ``--standardize`` centres and scales every numeric column by its training mean and standard
  deviation (:class:`sigmanet.preprocessing.StableStandardScaler`, exact at any magnitude);
* ``--scale-target`` (regressors) standardises the target the same way for training, and
  predictions come back in the target's units.

The preprocessing is a scikit-learn pipeline, fitted on the training rows only:
``Pipeline([("preprocessing", Pipeline([("columns", InputColumns(...)), ("encode",
ColumnTransformer(...))])), ("model", estimator)])``, where the column transformer holds a
``SimpleImputer`` and the scaler for the numeric columns and a ``SimpleImputer`` and a
``OneHotEncoder`` for the categorical ones, and the estimator sits in a
``TransformedTargetRegressor`` under ``--scale-target``. ``train --save MODEL`` writes that
whole fitted pipeline to ONE model file; ``predict``, ``evaluate``, ``info`` and ``plot`` read
it back, and match the input columns by name (their order and any extra columns do not
matter). A model saved from Python without named columns reads every column except
``--target``, which must all be numeric. A model saved by sigmanet 0.1.0 with a separate
``MODEL.preprocessing.json`` is refused with a message saying to train it again: that second
file could fall out of step with the model, so it is not applied.

No command writes over one of its own inputs (the data file, the model), even with ``--force``.

Exit status: 0 on success, 1 for a data or model error, 2 for a usage error, 130 after Ctrl-C,
141 when the reader of stdout has gone; errors are one line on stderr starting
``sigmanet: error:``.

Modules
-------
One module per command (``train``, ``predict``, ``evaluate``, ``info``, ``export``, ``plot``,
``trace``, ``demo``, ``playground``), each defining ``command`` with click; ``_data`` reads data
files and prepares a model's input, ``_models`` reads model files, ``_output`` prints tables and
metrics, ``_types`` holds the argument types click lacks, and ``_app`` dispatches to a command,
importing its module only then.
"""

from sigmanet.cli._app import main

__all__ = ["main"]
