"""Private numerical building blocks shared by the activations and the losses.

- :mod:`~sigmanet._numerics.contract`: the array contract of sigmanet's pure array
  functions (input conversion, the ``out=`` argument, dtype and NaN rules);
- :mod:`~sigmanet._numerics.tails`: sigmoid, tanh and Gaussian factors that keep full
  relative accuracy far into their tails;
- :mod:`~sigmanet._numerics.double_double`: exact products and sums (Dekker, Knuth) for the
  few formulas whose rounding error the tails would amplify.
"""
