"""A full disk on demand for a bot subprocess (Linux, needs a C compiler).

    disk = DiskFull.build(workdir, db_path)      # compiles sandbox/diskfull.c into workdir
    nexus = NexusSandbox(workdir, extra_env=disk.env())
    disk.fill()   # from now on every write to the database files fails with ENOSPC
    disk.free()   # writes succeed again

The kernel's own answer to a full disk reaches SQLite, which reports SQLITE_FULL as it would in
production; nothing in the bot knows it is being tested. Other files (the log) are unaffected.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("diskfull.c")


def available() -> bool:
    return sys.platform.startswith("linux") and shutil.which("cc") is not None


@dataclass(frozen=True)
class DiskFull:
    library: Path
    flag: Path
    prefix: Path

    @classmethod
    def build(cls, workdir: Path, db_path: Path) -> DiskFull:
        library = workdir / "diskfull.so"
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-o", str(library), str(SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
        return cls(library, workdir / "disk-is-full", db_path.resolve())

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(self.library),
            "NEXUS_DISKFULL_FLAG": str(self.flag),
            # The database, its -wal and -shm files (and the lock file beside them).
            "NEXUS_DISKFULL_PREFIX": str(self.prefix),
        }

    def fill(self) -> None:
        self.flag.touch()

    def free(self) -> None:
        self.flag.unlink(missing_ok=True)
