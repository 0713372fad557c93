"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU``, trained by backpropagation through time.

Input has shape ``(n_samples, n_timesteps, n_features)`` (batch first). Each layer runs one
cell over the steps, carrying a state ``h_t`` (and the LSTM's cell ``c_t``) from step to step;
the output is every step's ``h_t`` (``return_sequences=True``, shape ``(n, T, units)``) or the
last one (shape ``(n, units)``). With ``bidirectional=True`` a second cell with its own weights
runs from the last step to the first and its states are concatenated after the first's.

Parameters follow PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` layout and gate order, so weights
can be exchanged both ways: ``W_ih`` of shape ``(G·units, n_features)``, ``W_hh`` of shape
``(G·units, units)`` and the biases ``b_ih``, ``b_hh`` of shape ``(G·units,)``, with G = 1
(SimpleRNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n); the reverse direction's
arrays carry the suffix ``_reverse``. Each step's pre-activation is
``a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh``.

Backpropagation through time (Werbos 1990) unrolls the recurrence: with ``δh_t`` the total
derivative ∂L/∂h_t (from the output at step t and from step t+1),

    δa_t = cell-backward(δh_t, ...)        (the cell's local derivatives)
    ∂L/∂W_ih = Σ_t δa_tᵀ x_t     ∂L/∂W_hh = Σ_t δa_tᵀ h_{t-1}     ∂L/∂x_t = δa_t W_ih
    δh_{t-1} = (output gradient at t-1) + δa_t W_hh

Variable-length sequences: a boolean ``mask`` of shape ``(n, T)`` (or ``lengths``) marks the
real steps. At a padded step the state is carried over unchanged, the output (with
``return_sequences``) is zero, or ``mask_value`` when the layer was given one, and neither the
input nor the weights receive gradient from it. Padding at the end (``lengths``) gives what
PyTorch's packed sequences give: the last output is the state at each sequence's last real
step, and the reverse direction starts there.

Options of every layer: ``truncate=k`` truncates backpropagation through time (the gradient
crosses at most ``k`` steps of the recurrence, in windows of ``k`` steps counted back from the
last step; the forward pass is unchanged); ``clip_norm`` rescales the layer's parameter
gradients when their joint L2 norm exceeds it (Pascanu et al. 2013). Weights start as Glorot
uniform per gate for ``W_ih``, orthogonal per gate for ``W_hh`` (Saxe et al. 2014), zero biases,
and the LSTM's forget-gate bias at 1 (Jozefowicz et al. 2015), all from the generator given to
:meth:`~sigmanet.layers.Layer.build`.

A gate whose activation is the sigmoid computes it as ``σ(x) = ½ + ½ tanh(x/2)``, an identity
NumPy evaluates with its vectorised tanh, several times faster than the exp-based form; its
absolute error is within about an ulp of ½ and its values lie in [0, 1].

The LSTM and the GRU with sigmoid gates and tanh (the defaults), and the SimpleRNN with tanh
(the default), run their loops over the steps compiled when numba is installed: one call per
pass forward and one backward, with the same arithmetic as the NumPy loop, which stays the
reference (``layer.engine = "numpy"`` selects it) and runs where numba is missing, a step is
masked, ``keep_state_gradients`` is set (backward), the activations are others, or a float64
step (sequences × units) is larger than ``base.FLOAT64_COMPILED_ELEMENTS``, where NumPy's
vectorised float64 tanh makes its loop the faster. The two agree to about 1e-12 relative in
float64 and 1e-5 in float32; in float32 the compiled loops' tanh is a rational function that
vectorises, within 7 ulps of tanh.

As every layer does, a training pass (``forward(x, training=True)`` and ``backward``) writes
into arrays the layer keeps and reuses while the shapes repeat, so that in steady state it
allocates nothing; the array it returns is overwritten by the next training pass.

References
----------
Hochreiter & Schmidhuber (1997), Long short-term memory. Gers, Schmidhuber & Cummins (2000),
Learning to forget. Cho et al. (2014), On the properties of neural machine translation
(the GRU). Werbos (1990), Backpropagation through time. Pascanu, Mikolov & Bengio (2013), On
the difficulty of training recurrent neural networks. Jozefowicz, Zaremba & Sutskever (2015),
An empirical exploration of recurrent network architectures.
"""

from sigmanet.layers.recurrent.gates import check_gate_activation
from sigmanet.layers.recurrent.gru import GRU
from sigmanet.layers.recurrent.lstm import LSTM
from sigmanet.layers.recurrent.simple import SimpleRNN

__all__ = ["GRU", "LSTM", "SimpleRNN", "check_gate_activation"]
