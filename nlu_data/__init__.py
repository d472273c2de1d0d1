"""Rasa's NLU training-format files (data/nlu/, tests/nlu_heldout/) read with PyYAML alone.

Rasa's own reader lives only in Rasa's environment; the console, the data service's tools, the
benchmarks and the tests of every environment import this package from the repository root.
"""
