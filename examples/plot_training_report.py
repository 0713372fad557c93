"""
A training report in one HTML file
==================================

:func:`sigmanet.report.write_report` (and ``sigmanet train ... --report report.html``) writes
one self-contained HTML page about a fitted model: the data, the model and its parameters, the
loss and validation curves, metrics and the confusion matrix, the gradient flow and, for two
features, the decision regions. The figures are inline SVG and the whole run is embedded as
JSON, so the page opens in any browser without a network and a program can read it back.
"""

import json
import re
import tempfile
from pathlib import Path

from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from sigmanet import MLPClassifier
from sigmanet.diagnostics import GradientFlowRecorder
from sigmanet.report import write_report

X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
recorder = GradientFlowRecorder()
model = MLPClassifier((16, 16), learning_rate_init=0.01, max_iter=300, random_state=0)
model.fit(X_train, y_train, callbacks=[recorder], validation_data=(X_val, y_val))

with tempfile.TemporaryDirectory() as directory:
    path = write_report(
        Path(directory) / "report.html",
        model,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
        feature_names=["x0", "x1"],
        gradient_flow=recorder,
    )
    page = path.read_text(encoding="utf-8")

print(f"{len(page):,} characters, {page.count('<svg')} inline SVG figures")
run = json.loads(re.search(r'id="sigmanet-run">(.*?)</script>', page, re.S).group(1))
print("sections of the embedded run:", sorted(run))
print("validation accuracy:", round(run["metrics"]["accuracy"], 3))
