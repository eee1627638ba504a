"""Whether safepip runs from safepip.pyz, and how it starts the modules it carries (pip, virtualenv).

An installed safepip starts them as `<its python> -P -m pip`. From the archive a new process cannot import
them that way (the archive is not on its path), so safepip starts the archive again with a hidden entry:
`<its python> safepip.pyz __pip__ ARGS…` (commands/carried.py runs it). safepip/zipapp/ builds the archive
and is not imported here.
"""

from __future__ import annotations

import os
import sys

from safepip.util.process import python_file, python_module

TYPE_CHECKING = False  # typing itself is not imported on the hot path
if TYPE_CHECKING:
    from typing import Any

ARCHIVE_INFO = "safepip_pyz.json"  # at the top of the archive: name, version, build (safepip/zipapp/build.py)
OWN_VERSION = ".".join(map(str, sys.version_info[:3]))
# the hidden entries of safepip.pyz and the module each runs
CARRIED_ENTRIES = {"__pip__": "pip", "__virtualenv__": "virtualenv"}


def running_archive() -> str | None:
    """The safepip.pyz this safepip is imported from; None for a safepip installed as files."""
    archive = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return archive if os.path.isfile(archive) else None


def own_module(module: str, *args: str) -> list[str]:
    """How safepip's own Python runs `module` (pip or virtualenv) that safepip depends on."""
    archive = running_archive()
    if archive is None:
        return python_module(sys.executable, OWN_VERSION, module, *args)
    entry = next(name for name, carried in CARRIED_ENTRIES.items() if carried == module)
    return python_file(sys.executable, OWN_VERSION, archive, entry, *args)


def archive_about(archive: str) -> dict[str, Any]:
    """What the builder recorded in the archive: name, version, build (a hash of its content), wheels."""
    import json
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        about = json.loads(bundle.read(ARCHIVE_INFO))
    if not isinstance(about, dict):
        raise ValueError(f"{archive}: {ARCHIVE_INFO} is not an object")
    return about
