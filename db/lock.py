"""One writer per database: an OS lock on `<database>.lock` held while a bot process runs.

`flock` locks belong to the open file, so the kernel releases them when the process exits for any
reason, SIGKILL and crashes included: a stale lock file never blocks the next start. The file holds
who has it (pid, host, start time) so the process that is refused can say which one to stop.
Locks on network file systems (NFS) are not reliable; keep the database on a local disk or volume.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows: no flock; msvcrt locks a byte range instead
    fcntl = None  # type: ignore[assignment]
    import msvcrt


_WINDOWS_LOCK_OFFSET = 1 << 20


class DatabaseLocked(Exception):
    """Another process holds the database's lock; `holder` says which one."""

    def __init__(self, lock_path: Path, holder: str) -> None:
        super().__init__(f"{lock_path} is held by {holder}")
        self.lock_path = lock_path
        self.holder = holder


def lock_path_for(database_path: str | Path) -> Path:
    return Path(f"{database_path}.lock")


class DatabaseLock:
    """`with DatabaseLock(path):` or acquire()/release(). Raises DatabaseLocked when already held."""

    def __init__(self, database_path: str | Path) -> None:
        self.path = lock_path_for(database_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> DatabaseLock:
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not O_TRUNC: the holder's details must survive until we own the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise DatabaseLocked(self.path, read_holder(self.path)) from None
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()} on host {socket.gethostname()}, started {started}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # The file stays: deleting it would let a third process lock a new file while a second one
        # still waits on the old one.
        os.close(fd)  # closing the file releases the lock

    def __enter__(self) -> DatabaseLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def read_holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0] if text else "another process"


def _lock(fd: int) -> None:
    """Take the lock without waiting; OSError (BlockingIOError on POSIX) if another process has it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows: lock one byte far past the text, which stays readable
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
