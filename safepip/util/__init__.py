"""Utilities every layer may use: starting child processes (process.py), sizes (units.py)."""
