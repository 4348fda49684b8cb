"""isnote: the evaluation note on social innovation in the PON FSE and PON IEJ, as code."""

__version__ = "0.1.0"
