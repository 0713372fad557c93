"""Model files and export: fitted estimators and whole pipelines, never a pickle.

A sigmanet model file is a plain safetensors file holding one fitted object: a sigmanet
estimator, or a scikit-learn ``Pipeline`` (also nested) whose steps are sigmanet estimators and
the transformers of :func:`~sigmanet.io.steps.supported_steps` (``StandardScaler``,
``MinMaxScaler``, ``SimpleImputer`` (with its ``MissingIndicator``), ``OneHotEncoder``,
``ColumnTransformer`` with ``remainder="drop"`` or ``"passthrough"``,
``TransformedTargetRegressor``, the identity ``FunctionTransformer``, sigmanet's
``InputColumns`` and ``StableStandardScaler``). :func:`~sigmanet.io.steps.register_step` adds
a class. Loading cannot run code, and every byte is verified.

The package, one idea per module:

* :mod:`sigmanet.io.model_file`: ``save``, ``load``, ``read_metadata`` and what a format
  version means;
* :mod:`sigmanet.io.container`: the safetensors container, its canonical header, its SHA-256
  checksums and the validation of every byte;
* :mod:`sigmanet.io.description`: the JSON description of the steps (format 2);
* :mod:`sigmanet.io.values`: Python values as strict JSON;
* :mod:`sigmanet.io.steps`: the classes a file can hold and their codecs
  (:mod:`sigmanet.io.sklearn_steps`, :mod:`sigmanet.io.sigmanet_steps`);
* :mod:`sigmanet.io.format_v1`: the reader of format-1 files;
* :mod:`sigmanet.io.atomic`: ``write_atomically``, which never leaves a half-written file;
* :mod:`sigmanet.io.onnx`: ``to_onnx``, export to ONNX for serving without Python (the graph
  built by :mod:`sigmanet.io.onnx_graph` and :mod:`sigmanet.io.onnx_preprocessing`).

Every way a file can fail to be a loadable sigmanet model, including a path that does not exist
or cannot be read, raises :class:`sigmanet.exceptions.ModelFileError` (a ``ValueError``) with
a message that says what is wrong.
"""

from sigmanet.io.atomic import write_atomically
from sigmanet.io.container import MAX_HEADER_BYTES
from sigmanet.io.model_file import FORMAT_VERSION, load, read_metadata, save
from sigmanet.io.onnx import to_onnx
from sigmanet.io.sigmanet_steps import EstimatorStateCodec
from sigmanet.io.sklearn_steps import AttributeCodec
from sigmanet.io.steps import REGISTRY as _STEPS
from sigmanet.io.steps import StepCodec, register_step, supported_steps

# The codec modules above have registered the built-in steps.
_STEPS.seal()

__all__ = [
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "AttributeCodec",
    "EstimatorStateCodec",
    "StepCodec",
    "load",
    "read_metadata",
    "register_step",
    "save",
    "supported_steps",
    "to_onnx",
    "write_atomically",
]
