"""Developer tooling: build safepip.pyz, the whole tool in one file, from a checkout.

    python3 -m safepip.zipapp.build          # dist/safepip.pyz
    python3 -m safepip.zipapp.build --lock   # pins.txt again from pyproject's dependencies

- build.py writes the archive reproducibly: safepip's files, a dist-info made from pyproject.toml, the
  pinned wheels' contents and a `__main__.py` that runs safepip's command line (cli/main.py).
- pins.py locks pyproject's dependencies into pins.txt (pure-Python wheels with their sha256) and gets
  those wheels, with a pip or, on a machine without one, from the index's JSON API.

Standard library only, and nothing else of safepip is imported (the layout test holds it to that), so it
runs where safepip's dependencies are not installed. It is neither in the archive nor in the wheel. What
safepip does when it runs from the archive lives with the rest of safepip: util/archive.py (am I in the
archive, how to start the pip it carries), commands/carried.py (the hidden `__pip__` entry),
actions/seed.py (the carried pip extracted once), commands/self_command.py (`self install|update|uninstall`).
"""

from __future__ import annotations

ARCHIVE_INFO = "safepip_pyz.json"  # safepip/util/archive.py reads it under the same name
