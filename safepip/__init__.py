"""safepip: a drop-in `pip install` that picks a writable target instead of failing.

(No `from __future__` here: safepip/__main__.py says why.)"""

__version__ = "0.1.0"
