"""nginx in front of test nodes, from the repository's own site file.

``deploy/nginx/tenfour.conf`` is what an operator installs; here it is rendered into
a temporary prefix with only its addresses, ports and certificate paths changed, and
run by the ``nginx`` binary (Debian package ``nginx``) as a foreground process with
its logs, pid and temporary files in that prefix: no system service, no port below
1024. The certificate is self-signed, made by ``openssl`` for 127.0.0.1 at test time.
"""

from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.api.live_server import free_port
from tests.journal.support import ci

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "tenfour.conf"
UNIT = ROOT / "deploy" / "systemd" / "tenfour@.service"
ENV_FILE = ROOT / "deploy" / "systemd" / "tenfour.env"

#: The main configuration Debian's nginx.conf would be, cut to what the site needs.
_MAIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {prefix}/tenfour.conf;
}}
"""


def need(program: str) -> str:
    """The path of ``program``; skipped when missing, but a failure under CI."""
    found = shutil.which(program) or (
        f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None
    )
    if found is None:
        reason = f"{program} is not installed (Debian package {program}; .ci/run installs it)"
        if ci():
            pytest.fail(f"{reason} (CI is set: the deployment test must run, not skip)")
        pytest.skip(reason)
    return found


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid for a day (``openssl req -x509``)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    openssl = need("openssl")
    args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    args += ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"]
    args += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [openssl, *args],
        check=True,
        capture_output=True,
    )
    return cert, key


def render_site(
    text: str, *, nodes: list[int], http: int, https: int, cert: Path, key: Path
) -> str:
    """The site file with this machine's ports and certificate: every other line as
    shipped. Each replaced line must be found exactly once, so an edit of the shipped
    file that this test would silently stop covering fails here instead."""
    swaps = [
        (r"server 127\.0\.0\.1:8001 ", f"server 127.0.0.1:{nodes[0]} "),
        (r"server 127\.0\.0\.1:8002 ", f"server 127.0.0.1:{nodes[1]} "),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
        (r"ssl_certificate     \S+;", f"ssl_certificate     {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in swaps:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"{SITE}: expected one {pattern!r}, found {count}"
    return text


class Nginx:
    """One nginx master in the foreground on free loopback ports."""

    def __init__(self, folder: Path, nodes: list[int]) -> None:
        binary = need("nginx")
        self.prefix = folder / "nginx"
        (self.prefix / "temp").mkdir(parents=True)
        self.cert, key = self_signed(self.prefix)
        self.http_port, self.https_port = free_port(), free_port()
        site = render_site(
            SITE.read_text(),
            nodes=nodes,
            http=self.http_port,
            https=self.https_port,
            cert=self.cert,
            key=key,
        )
        (self.prefix / "tenfour.conf").write_text(site)
        conf = self.prefix / "nginx.conf"
        conf.write_text(_MAIN.format(prefix=self.prefix))
        base = [
            binary,
            "-p",
            str(self.prefix),
            "-c",
            str(conf),
            "-e",
            str(self.prefix / "error.log"),
        ]
        checked = subprocess.run([*base, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t refused the site file:\n{checked.stderr}"
        self.process = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.tls = ssl.create_default_context(cafile=str(self.cert))
        self._wait()

    def _wait(self, timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.errors()}")
            try:
                with httpx.Client(verify=self.tls, timeout=2) as client:
                    client.get(f"{self.url}/api/health")
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen in {timeout_s} s:\n{self.errors()}")

    def client(self, *, local_address: str | None = None, timeout: float = 10) -> httpx.Client:
        """A client of the public side (HTTPS, this test's certificate trusted)."""
        transport = httpx.HTTPTransport(verify=self.tls, local_address=local_address)
        return httpx.Client(base_url=self.url, transport=transport, timeout=timeout)

    def errors(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish first
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
