"""Bramka: on-site check-in for conferences."""

__version__ = "0.1.0"
