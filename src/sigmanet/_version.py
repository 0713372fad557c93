"""The version of sigmanet, in one place: the package, its model files and its build read it."""

__version__ = "0.1.0"
