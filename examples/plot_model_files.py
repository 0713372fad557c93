"""
Model files that cannot run code
================================

:func:`sigmanet.save` writes a `safetensors <https://github.com/huggingface/safetensors>`_ file:
the arrays as tensors and, in its metadata, a JSON description of the estimator (class,
parameters, classes, training history, versions, a SHA-256 per tensor). :func:`sigmanet.load`
rebuilds only sigmanet's own estimator classes and never unpickles, so loading a file cannot run
code, and any corrupted byte is refused with :class:`sigmanet.ModelFileError`.
"""

import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

import sigmanet
from sigmanet import MLPClassifier
from sigmanet.plotting import plot_loss_curve

X, y = load_iris(return_X_y=True)
model = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)

with tempfile.TemporaryDirectory() as directory:
    path = sigmanet.save(model, Path(directory) / "iris.safetensors")
    print(f"{path.name}: {path.stat().st_size} bytes")
    description = sigmanet.read_metadata(path)
    print("keys of the description:", sorted(description))
    loaded = sigmanet.load(path)
    print("same predictions:", np.array_equal(loaded.predict_proba(X), model.predict_proba(X)))

    # %%
    # Flip one bit of the last weight: the tensor no longer matches its SHA-256, and loading
    # refuses the file.
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    try:
        sigmanet.load(path)
    except sigmanet.ModelFileError as error:
        print("refused:", str(error).split(": ", 1)[1])  # (after the temporary path)

# %%
# The loaded model keeps its training history.
figure = plot_loss_curve(loaded, log_scale=True)
