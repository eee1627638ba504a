"""Where safepip keeps its own things: managed venvs, overlays and locks."""

from __future__ import annotations

import hashlib
import os

MARKER = ".safepip-complete"


def data_dir() -> str:
    from platformdirs import user_data_dir

    return user_data_dir("safepip", appauthor=False)


def cache_dir() -> str:
    from platformdirs import user_cache_dir

    return user_cache_dir("safepip", appauthor=False)


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def managed_venv_path(root: str, tag: str, interpreter_real_path: str) -> str:
    return os.path.join(root, "venvs", f"{tag}-{short_hash(interpreter_real_path)}")


def overlay_venv_path(root: str, tag: str, venv_prefix: str) -> str:
    name = os.path.basename(os.path.normpath(venv_prefix)).lstrip(".") or "venv"
    return os.path.join(root, "overlays", f"{name}-{tag}-{short_hash(os.path.realpath(venv_prefix))}")


def lock_path(root: str, target_path: str) -> str:
    return os.path.join(root, "locks", short_hash(os.path.realpath(target_path)) + ".lock")


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def venv_is_ready(venv: str) -> bool:
    return os.path.isfile(os.path.join(venv, MARKER)) and os.path.exists(venv_python(venv))
