"""A throwaway PostgreSQL cluster for tests that must stop or restart a database server.

initdb refuses to run as root, so as root the cluster runs as the ``postgres`` OS user in a
directory it owns (not pytest's 0700 tmp dirs). It listens on a free loopback port only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server_process import free_port


def _pg_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.iterdir(), reverse=True) if root.exists() else []
    for version in versions:
        if (version / "bin" / "initdb").exists():
            return version / "bin"
    return None


@dataclass
class Cluster:
    url: str
    data_dir: Path
    log: Path
    port: int
    prefix: list[str]
    bin_dir: Path

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            check=True,
            # Not captured: the server would inherit the pipes and keep them open.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def restart(self) -> None:
        self._ctl("-m", "fast", "-w", "-l", str(self.log), "restart", "-o", self._options())

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.data_dir.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )


@contextmanager
def temporary_cluster() -> Iterator[Cluster]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="pgtmp-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    cluster = Cluster(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        data_dir=base / "data",
        log=base / "log",
        port=port,
        prefix=prefix,
        bin_dir=bin_dir,
    )
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "initdb"),
            "-D",
            str(cluster.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster._ctl("-l", str(cluster.log), "-w", "start", "-o", cluster._options())
    try:
        yield cluster
    finally:
        try:
            cluster._ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(base, ignore_errors=True)
