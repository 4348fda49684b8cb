"""Seeded generator of the SYNTHETIC demo dataset (data/demo): `python -m isnote.demo.generate`."""
