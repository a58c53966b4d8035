"""Real ``tenfour serve`` processes for fault tests and benchmarks: start, talk, kill -9.

Each node is its own operating-system process on a free loopback port, so a kill -9
is a real crash: no ``finally`` runs, its database sessions are cut by the kernel,
and whatever it had only in memory is gone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.api.live_server import free_port

#: ``  clawhauser   Xy7...`` lines the first start prints under this heading.
_PASSWORD = re.compile(r"^\s{2}(\S+)\s+(\S+)\s*$")


class Node:
    """One server process on ``database`` (a SQLite path or a postgresql:// URL)."""

    def __init__(
        self,
        database: str,
        *,
        config: Path | None = None,
        name: str = "node",
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        """``options`` are more ``tenfour serve`` options (a systemd unit's, say);
        ``env`` is added to this process's environment for the server; ``port`` is a
        stopped node's, to start it again where a proxy expects it (default: a free one)."""
        self.database = database
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.passwords: dict[str, str] = {}
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the process
            "w+", prefix=f"tenfour-{name}-", suffix=".log", delete=False
        )
        args = [sys.executable, "-m", "tenfour.cli", "serve", "--port", str(self.port)]
        args += ["--database", database]
        if config is not None:
            args += ["--config", str(config)]
        args += list(options)
        environ = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=environ
        )
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def wait_ready(self, timeout_s: float = 60) -> Node:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                if self.client.get("/api/health").status_code == 200:
                    self._read_passwords()
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in {timeout_s} s:\n{self.log()}")

    def log(self) -> str:
        return Path(self._log.name).read_text()

    def _read_passwords(self) -> None:
        for line in self.log().splitlines():
            found = _PASSWORD.match(line)
            if found and not line.startswith("Ten-Four"):
                self.passwords[found.group(1)] = found.group(2)

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.get("/api/health").json()
        return answer

    def login(self, username: str, password: str) -> str:
        answer = self.client.post("/api/login", json={"username": username, "password": password})
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token

    def command(self, token: str, do: str, with_: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post(
            "/api/commands",
            json={"do": do, "with": with_},
            headers={"Authorization": f"Bearer {token}"},
        )
        if answer.status_code != 200:
            raise AssertionError(f"{do} answered {answer.status_code}: {answer.text}")
        body: dict[str, Any] = answer.json()
        return body

    def kill9(self) -> None:
        """A crash: SIGKILL, nothing of the process runs after it (``stop`` afterwards
        still removes its log)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.client.close()

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): pending reactions finish, the lease is given up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.client.close()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


def wait_for(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy; fail saying ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)
