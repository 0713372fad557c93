"""Make ``rnn_reference.npz``: PyTorch's outputs and gradients of nn.RNN, nn.LSTM and nn.GRU.

Run once with ``torch==2.13.0`` (CPU build) in an environment of its own::

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tests/data/make_rnn_reference.py

Every case is one layer (batch first, float64) with seeded weights, input and initial state;
sequences of unequal length go through ``pack_padded_sequence``. The scalar differentiated is
``L = Σ output ⊙ R`` for a fixed random ``R``, where the output is every step's state
(zero at padded steps) or the last state (``h_n``, both directions concatenated). Stored per
case: the weights in PyTorch's layout, the input, lengths, initial state, R, the output and
∂L/∂(every weight, input, initial state). The test reads it with ``allow_pickle=False``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

N, T, D, H = 3, 5, 3, 2
LENGTHS = np.array([5, 2, 4])


def run_case(cell: str, bidirectional: bool, with_lengths: bool, sequences: bool, seed: int):
    torch.manual_seed(seed)
    kwargs = {"batch_first": True, "bidirectional": bidirectional, "dtype": torch.float64}
    if cell.startswith("rnn_"):
        module = torch.nn.RNN(D, H, nonlinearity=cell[4:], **kwargs)
    else:
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, H, **kwargs)
    directions = 2 if bidirectional else 1
    x = torch.randn(N, T, D, dtype=torch.float64, requires_grad=True)
    h0 = (0.5 * torch.randn(directions, N, H, dtype=torch.float64)).requires_grad_()
    c0 = (0.5 * torch.randn(directions, N, H, dtype=torch.float64)).requires_grad_()
    state = (h0, c0) if cell == "lstm" else h0
    if with_lengths:
        packed = pack_padded_sequence(
            x, torch.as_tensor(LENGTHS), batch_first=True, enforce_sorted=False
        )
        out_packed, final = module(packed, state)
        out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)
    else:
        out, final = module(x, state)
    h_n = final[0] if cell == "lstm" else final
    result = out if sequences else torch.cat(list(h_n), dim=1)
    probe = torch.randn(result.shape, dtype=torch.float64)
    (result * probe).sum().backward()
    arrays = {
        "x": x.detach().numpy(),
        "h0": h0.detach().numpy(),
        "probe": probe.numpy(),
        "output": result.detach().numpy(),
        "grad_x": x.grad.numpy(),
        "grad_h0": h0.grad.numpy(),
    }
    if cell == "lstm":
        arrays["c0"] = c0.detach().numpy()
        arrays["grad_c0"] = c0.grad.numpy()
    if with_lengths:
        arrays["lengths"] = LENGTHS
    for name, value in module.named_parameters():
        # weight_ih_l0_reverse -> W_ih_reverse, bias_hh_l0 -> b_hh
        kind, which = name.split("_")[:2]
        ours = ("W_" if kind == "weight" else "b_") + which
        ours += "_reverse" if name.endswith("_reverse") else ""
        arrays["param." + ours] = value.detach().numpy()
        arrays["grad." + ours] = value.grad.numpy()
    return arrays


def main() -> None:
    store = {}
    cases = itertools.product(
        ["rnn_tanh", "rnn_relu", "lstm", "gru"], [False, True], [False, True], [False, True]
    )
    for seed, (cell, bidirectional, with_lengths, sequences) in enumerate(cases):
        name = (
            f"{cell}-{'bi' if bidirectional else 'uni'}-{'lengths' if with_lengths else 'full'}-"
            f"{'sequences' if sequences else 'last'}"
        )
        for key, value in run_case(cell, bidirectional, with_lengths, sequences, seed).items():
            store[f"{name}/{key}"] = value
    target = Path(__file__).with_name("rnn_reference.npz")
    np.savez_compressed(target, torch_version=np.array(torch.__version__), **store)
    print(f"wrote {len(store)} arrays to {target}")


if __name__ == "__main__":
    main()
