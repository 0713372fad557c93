"""sigmanet: the sigmoid family of models, from first principles."""

__version__ = "0.1.0"
