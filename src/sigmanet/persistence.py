"""Model files: the names of :mod:`sigmanet.io`, kept where earlier code imports them.

The model-file code lives in the :mod:`sigmanet.io` package: ``save``, ``load`` and
``read_metadata`` in :mod:`sigmanet.io.model_file`; the safetensors container and its
checksums in :mod:`sigmanet.io.container`; the JSON description in
:mod:`sigmanet.io.description`; the step codecs and ``register_step`` in
:mod:`sigmanet.io.steps`, :mod:`sigmanet.io.sklearn_steps` and
:mod:`sigmanet.io.sigmanet_steps`; ``write_atomically`` in :mod:`sigmanet.io.atomic`. New code
imports from :mod:`sigmanet.io`.
"""

from sigmanet.io import (
    FORMAT_VERSION,
    MAX_HEADER_BYTES,
    AttributeCodec,
    EstimatorStateCodec,
    StepCodec,
    load,
    read_metadata,
    register_step,
    save,
    supported_steps,
    write_atomically,
)

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
    "write_atomically",
]
