"""A child that answers a question: bounded in time and output, its whole tree ended with it, readable
later while safepip goes on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from safepip.errors import Interrupted
from safepip.util.questions import NoAnswer, Question, ask


def gone(pid: int) -> bool:
    time.sleep(0.2)
    return not Path(f"/proc/{pid}").exists() or b") Z" in Path(f"/proc/{pid}/stat").read_bytes()


def test_a_question_that_hangs_is_cut_off_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    script = f"sleep 300 & echo $! > {pid_file}; wait"
    started = time.monotonic()
    with pytest.raises(NoAnswer, match="did not answer within 1 seconds"):
        ask(["/bin/sh", "-c", script], os.environ, 1)
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    assert gone(grandchild)


def test_a_question_that_closes_its_output_and_lives_on_is_cut_off_at_its_deadline() -> None:
    """After the end of its output safepip waits for the child's exit (woken by it, not polling), no longer
    than the question's time."""
    started = time.monotonic()
    with pytest.raises(NoAnswer, match="did not exit within 1 seconds"):
        ask(["/bin/sh", "-c", "exec >&- 2>&-; sleep 300"], os.environ, 1)
    assert time.monotonic() - started < 10


def test_a_question_that_talks_too_much_is_cut_off() -> None:
    with pytest.raises(NoAnswer, match="said more than"):
        ask(["/bin/sh", "-c", "yes"], os.environ, 30, limit=1 << 20)


def test_a_program_that_does_not_exist_is_no_answer() -> None:
    with pytest.raises(NoAnswer, match="cannot run /nonexistent/python"):
        ask(["/nonexistent/python"], os.environ, 5)


def test_a_question_is_answered_after_other_work() -> None:
    with Question(["/bin/sh", "-c", "sleep 0.2; echo answer"], os.environ, 30) as question:
        started = time.monotonic()
        work = sum(range(10**5))  # safepip's own work meanwhile
        assert time.monotonic() - started < 0.2
        answer = question.answer()
    assert work and answer.code == 0 and answer.stdout == b"answer\n"


def test_a_question_left_unread_ends_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    with pytest.raises(RuntimeError), Question(["/bin/sh", "-c", f"sleep 300 & echo $! > {pid_file}; wait"],
                                               os.environ, 30) as question:  # fmt: skip
        while not pid_file.exists() or not pid_file.read_text().strip():
            time.sleep(0.01)
        raise RuntimeError("safepip failed before it read the answer")
    assert gone(question.child.pid) and gone(int(pid_file.read_text()))
    assert signal.getsignal(signal.SIGTERM) is not question.child.forward  # safepip's own handlers back


def test_a_signal_while_safepip_works_ends_the_question_as_interrupted() -> None:
    with Question(["/bin/sh", "-c", "sleep 300"], os.environ, 30) as question:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while safepip does other work
        with pytest.raises(Interrupted) as interrupted:
            question.answer()
    assert interrupted.value.signum == signal.SIGTERM
    assert gone(question.child.pid)


def test_a_signal_that_ends_the_child_is_an_interruption_not_its_answer() -> None:
    """SIGTERM while safepip waits for the answer: forwarded, the child ends with 143, safepip is interrupted."""
    import threading

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    with Question(["/bin/sh", "-c", "sleep 300"], os.environ, 30) as question:
        timer.start()
        with pytest.raises(Interrupted) as interrupted:
            question.answer()
    timer.join()
    assert interrupted.value.signum == signal.SIGTERM
