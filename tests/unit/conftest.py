"""Fixtures shared by the unit tests that run the real CLI against a recording fake pip."""

from tests.unit.fake_pip import fake_venv_python, workdir

__all__ = ["fake_venv_python", "workdir"]
