"""One checkout, one writer: the lock that keeps two runs from interleaving their writes.

``tools/run_chapters.py`` (``make book``, ``make portable``) holds ``<checkout>/.book.lock``
exclusively while it executes and installs the chapters; the tests (``make test``) hold it
shared, so several test runs may read the book at once but never while it is being rewritten.
A second run refuses at once with a message that names the holder. The lock is an ``flock``
on an open file: the operating system releases it when its process ends, however it ends
(SIGKILL included), so a stale lock file never blocks the next run.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = ".book.lock"


class BookBusy(RuntimeError):
    """Another run holds the checkout's book lock."""


class Held:
    """A held lock; ``release()`` (or the end of the process) gives it back."""

    def __init__(self, handle, exclusive: bool):
        self._handle, self._exclusive = handle, exclusive

    def release(self) -> None:
        if not self._handle.closed:
            if self._exclusive:
                self._handle.seek(0)
                self._handle.truncate()
                self._handle.flush()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def acquire(root: Path, shared: bool = False, holder: str = "", wait: bool = False) -> Held:
    """Take ``root/.book.lock``, shared (readers) or exclusive (the writer).

    Raises
    ------
    BookBusy
        If another process holds it in a conflicting mode and ``wait`` is false; the message
        names the exclusive holder when there is one.
    """
    path = Path(root) / LOCK_NAME
    handle = open(path, "a+")
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        who = handle.read().strip() or "a test run (make test)"
        handle.close()
        raise BookBusy(
            f"{root} is busy: {who} is using its chapters. Two runs in one checkout would "
            f"interleave their writes; wait for it to finish and try again "
            f"(the lock is {path}; it is released when that process ends)."
        ) from None
    # Holding the lock, nobody else writes the file: clear a stale name (a killed writer's),
    # and as the writer, leave ours for the message of whoever is refused.
    handle.seek(0)
    handle.truncate()
    if not shared:
        handle.write(f"{holder or 'a run'} (pid {os.getpid()})\n")
    handle.flush()
    return Held(handle, exclusive=not shared)
