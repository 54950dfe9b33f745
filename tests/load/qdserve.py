"""Starting, talking to and stopping `qdiffusion-cli serve` on loopback, for the load, load-balancer
and randomized request scripts in this folder. Standard library only (Debian's python3)."""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"


def exit_on_sigterm():
    """SIGTERM (timeout, CTest, Ctrl+C from a supervisor) unwinds like an exception, so that the
    scripts' finally blocks stop the servers and nginx they started."""
    import sys
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def request(url, body=None, method=None, timeout=60.0, headers=None, raw=None):
    """One HTTP request; returns (status, headers, body bytes). Never raises for an HTTP status;
    raises OSError (URLError, timeout, connection reset) when no answer came."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    if data is not None and raw is None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {}), e.read()


def png_size(b64):
    """(width, height) of a base64 PNG, None if it is not one."""
    try:
        head = base64.b64decode(b64[:64] + "=" * (-len(b64[:64]) % 4))
    except ValueError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


class Server:
    """One `serve` process on 127.0.0.1:port with its own QDIFFUSION_HOME and output folder under
    workdir; its stdout and stderr go to workdir/server.log."""

    READY = "Serving the AUTOMATIC1111 API on http://127.0.0.1:{port}"

    def __init__(self, cli, port=None, workdir=None, extra_args=(), name="serve"):
        self.cli = cli
        self.port = port or free_port()
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="qd-serve.")
        self.outdir = os.path.join(self.workdir, "out")
        self.log_path = os.path.join(self.workdir, "server.log")
        self.extra_args = list(extra_args)
        self.name = name
        self.proc = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self, ready_timeout=180.0):
        os.makedirs(self.outdir, exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "home"), exist_ok=True)
        env = dict(os.environ, QDIFFUSION_HOME=os.path.join(self.workdir, "home"),
                   OMP_WAIT_POLICY="PASSIVE", QT_QPA_PLATFORM="offscreen")
        args = [self.cli, "serve", "--host", HOST, "--port", str(self.port), "--outdir", self.outdir]
        args += self.extra_args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        ready = self.READY.format(port=self.port)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if ready in self.log_text():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}) before it was ready:\n"
                                   + self.log_text()[-2000:])
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name}: no '{ready}' within {ready_timeout:.0f} s:\n" + self.log_text()[-2000:])

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        return rss_kib(self.proc.pid) if self.alive() else None

    def ping(self, timeout=5.0):
        try:
            return request(self.url + "/internal/ping", timeout=timeout)[0] == 200
        except OSError:
            return False

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, grace=15.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                print(f"{self.name}: ignored SIGTERM for {grace:.0f} s; SIGKILL")
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def cleanup(self, keep=False):
        self.stop()
        if self.own_workdir and not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def txt2img_body(seed, steps=4, size=64, prompt="a lighthouse at dusk"):
    return {"prompt": prompt, "steps": steps, "width": size, "height": size, "seed": seed,
            "sampler_name": "Euler a", "cfg_scale": 7}


def check_txt2img(status, body, size=None):
    """For a txt2img answer: (ok, seed, first image's base64, why)."""
    if status != 200:
        return False, None, None, f"status {status}: {body[:200]!r}"
    try:
        doc = json.loads(body)
        info = json.loads(doc["info"])
        images = doc["images"]
        seed = info["seed"]
    except (ValueError, KeyError, TypeError) as e:
        return False, None, None, f"unexpected body ({e}): {body[:200]!r}"
    if not images:
        return False, seed, None, "no images"
    dims = png_size(images[0])
    if dims is None:
        return False, seed, None, "images[0] is not a base64 PNG"
    if size and dims != (size, size):
        return False, seed, None, f"image is {dims[0]}x{dims[1]}, asked {size}x{size}"
    return True, seed, images[0], ""
