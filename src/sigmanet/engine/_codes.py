"""The integer codes the compiled kernels take for activations, losses and optimizers.

Kept apart from the kernels so that choosing an engine does not import numba.
"""

# Activations (NONE: a Dense layer with no activation after it).
NONE, IDENTITY, RELU, LEAKY_RELU, RELU6, ELU, SELU, SIGMOID, TANH, GELU, SILU = range(11)
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "relu6": RELU6,
    "elu": ELU,
    "selu": SELU,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "gelu": GELU,
    "silu": SILU,
}
# Losses.
SOFTMAX_CE, BINARY_CE, SQUARED_ERROR = range(3)
# Optimizers.
SGD, ADAM, ADAMW, RMSPROP, ADAGRAD = range(5)
# What a kernel call does.
EPOCH, FULL_BATCH, FORWARD = range(3)
# Why an epoch call returned.
DONE, NOT_FINITE, GRADIENT_OVERFLOW = range(3)
# Columns of the per-layer table: widths, where W and b start in the flat parameters (b: -1
# for none), the activation, and where the layer's four work regions start (pre-activation Z,
# activation A, ∂L/∂A as D, ∂L/∂Z as G), each batch × fan_out.
FAN_IN, FAN_OUT, W_AT, B_AT, ACT, Z_AT, A_AT, D_AT, G_AT = range(9)
N_COLUMNS = 9
# The constants of the kernels, in the arrays' dtype: their slots.
CONSTANTS = (
    0.0,
    1.0,
    0.5,
    6.0,
    1.0507009873554805 * 1.6732632423543772,
    1.0507009873554805,
    -40.0,
    -1000.0,
    0.0,
)  # the last slot is scratch for casts
