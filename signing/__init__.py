"""Signatures on requests one of our services sends another.

Standard library only: both Python environments (Rasa's 3.10, the console's 3.11) import it from
the repository root, so neither depends on the other's package.
"""
