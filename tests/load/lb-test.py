#!/usr/bin/python3
"""Load balancer test (loopback only, bounded): Debian's nginx, running the shipped
installer/deploy/nginx-qdiffusion.conf (its upstream pointed at test ports, TLS and the HTTP
redirect left out, listening on 127.0.0.1 only, in its own prefix folder), in front of two
`qdiffusion-cli serve` instances. 40 clients (each its own source address, 127.0.0.2 and up, so
the shipped `hash $remote_addr`-style stickiness really spreads them) send one txt2img each at
once; when a quarter have been answered, the instance with more requests still pending is killed
with SIGKILL. Every request must be answered 200 with a PNG carrying its own seed, none lost,
both instances must have answered some, the killed one's pending requests retried on the other.

    tests/load/lb-test.sh --cli build/bin/qdiffusion-cli     # installs nginx if missing, then this

Standard library only. Cleans up everything it started. Exit 0 OK, 1 failures, 2 setup problem.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qdserve  # noqa: E402

UPSTREAM_HEADER = "X-QDiffusion-Upstream"


def test_config(shipped, lb_port, ports):
    """The shipped site config with test ports: upstream servers -> `ports`, the port-80 redirect
    block and the TLS lines dropped, the main server listening on 127.0.0.1:lb_port only, and a
    response header naming the instance (and every instance tried) that answered."""
    lines = shipped.splitlines()
    out, i = [], 0
    in_upstream = False
    upstream_params = None
    while i < len(lines):
        line = lines[i]
        code = line.split("#", 1)[0]
        if re.match(r"^\s*server\s*\{", code):
            # Find the block's end; drop it if it is the redirect.
            depth, j = 0, i
            while j < len(lines):
                c = lines[j].split("#", 1)[0]
                depth += c.count("{") - c.count("}")
                if depth == 0:
                    break
                j += 1
            block = lines[i:j + 1]
            if any(re.search(r"^\s*return\s+30[18]", b.split("#", 1)[0]) for b in block):
                i = j + 1
                continue
            listened = False
            for b in block:
                c = b.split("#", 1)[0]
                if re.match(r"^\s*listen\s", c):
                    if not listened:
                        out.append(f"    listen 127.0.0.1:{lb_port};")
                        out.append(f"    add_header {UPSTREAM_HEADER} $upstream_addr always;")
                        listened = True
                    continue
                if re.match(r"^\s*ssl_", c):
                    continue
                out.append(b)
            i = j + 1
            continue
        if re.match(r"^\s*upstream\s+\S+\s*\{", code):
            in_upstream = True
        elif in_upstream and "}" in code:
            for p in ports:
                out.append(f"    server 127.0.0.1:{p} {upstream_params or ''};".replace(" ;", ";"))
            in_upstream = False
        elif in_upstream:
            m = re.match(r"^\s*server\s+\S+\s*([^;]*);", code)
            if m:
                if upstream_params is None:
                    upstream_params = m.group(1).strip()
                i += 1
                continue
        out.append(line)
        i += 1
    return "\n".join(out) + "\n"


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(root, "build", "bin", "qdiffusion-cli"))
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--config", default=os.path.join(root, "installer", "deploy", "nginx-qdiffusion.conf"))
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--kill-after", type=float, default=0.25, help="fraction answered before the kill")
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--deadline", type=float, default=900.0, help="whole run bound in seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, config)")
    a = ap.parse_args()
    qdserve.exit_on_sigterm()
    a.requests = max(2, min(a.requests, 200))  # 127.0.0.2 ... 127.0.0.201 at most

    work = tempfile.mkdtemp(prefix="qd-lb.")
    os.chmod(work, 0o755)  # nginx's workers (nobody when started as root) read and write under it
    servers, nginx = [], None
    failures = []
    try:
        ports = [qdserve.free_port(), qdserve.free_port()]
        while ports[1] == ports[0]:
            ports[1] = qdserve.free_port()
        for n, p in enumerate(ports):
            servers.append(qdserve.Server(a.cli, port=p, workdir=os.path.join(work, f"serve{n + 1}"),
                                          name=f"serve{n + 1}"))
        try:
            for s in servers:
                s.start()
        except (OSError, RuntimeError) as e:
            print(f"lb-test: cannot start serve: {e}")
            return 2
        lb_port = qdserve.free_port()
        with open(a.config) as f:
            site = test_config(f.read(), lb_port, ports)
        with open(os.path.join(work, "qdiffusion.conf"), "w") as f:
            f.write(site)
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
master_process on;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/logs/error.log notice;
events {{ worker_connections 512; }}
http {{
    log_format qd '$remote_addr "$request" $status upstream=[$upstream_addr] statuses=[$upstream_status] $request_time s';
    access_log {work}/logs/access.log qd;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/qdiffusion.conf;
}}
""")
        base = [a.nginx, "-p", work, "-c", os.path.join(work, "nginx.conf"), "-e", os.path.join(work, "logs", "error.log")]
        t = subprocess.run(base + ["-t"], capture_output=True, text=True)
        if t.returncode != 0:
            print("lb-test: nginx rejects the test config:\n" + t.stderr + "\n--- config:\n" + site)
            return 2
        nginx = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        lb = f"http://127.0.0.1:{lb_port}"
        for _ in range(100):
            try:
                if qdserve.request(lb + "/internal/ping", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if nginx.poll() is not None:
                print("lb-test: nginx exited at start")
                return 2
            time.sleep(0.1)
        print(f"nginx {lb} -> serve1 :{ports[0]} (pid {servers[0].proc.pid}), serve2 :{ports[1]} (pid {servers[1].proc.pid})")

        def call(i, method, path, body=None, timeout=600.0):
            """One request from client address 127.0.0.(i+2): (status, upstream header, body)."""
            conn = http.client.HTTPConnection("127.0.0.1", lb_port, timeout=timeout,
                                              source_address=(f"127.0.0.{i + 2}", 0))
            try:
                data = None if body is None else json.dumps(body).encode()
                conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
                r = conn.getresponse()
                return r.status, r.getheader(UPSTREAM_HEADER, ""), r.read()
            finally:
                conn.close()

        # Where does each client land? (the same hash as its txt2img below)
        where = {}
        for i in range(a.requests):
            st, up, _ = call(i, "GET", "/internal/ping", timeout=10)
            where[i] = up
        per = {f"127.0.0.1:{p}": sum(1 for v in where.values() if v == f"127.0.0.1:{p}") for p in ports}
        print(f"{a.requests} client addresses map to: " + ", ".join(f"{k} {v}" for k, v in per.items()))

        results = [None] * a.requests
        done = threading.Event()
        lock = threading.Lock()
        answered = [0]
        barrier = threading.Barrier(a.requests + 1)

        def worker(i):
            barrier.wait()
            t = time.monotonic()
            try:
                st, up, body = call(i, "POST", "/sdapi/v1/txt2img",
                                    qdserve.txt2img_body(50000 + i, a.steps, a.size), timeout=a.deadline)
                results[i] = (time.monotonic() - t, st, up, body)
            except OSError as e:
                results[i] = (time.monotonic() - t, None, "", repr(e).encode())
            with lock:
                answered[0] += 1
                if answered[0] == a.requests:
                    done.set()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.requests)]
        for th in threads:
            th.start()
        barrier.wait()
        t0 = time.monotonic()
        deadline = t0 + a.deadline
        killed = None
        kill_at = max(1, int(a.requests * a.kill_after))
        while not done.is_set() and time.monotonic() < deadline:
            if not a.no_kill and killed is None and answered[0] >= kill_at:
                with lock:
                    pending = {f"127.0.0.1:{p}": 0 for p in ports}
                    for i, r in enumerate(results):
                        if r is None and where.get(i) in pending:
                            pending[where[i]] += 1
                victim_addr = max(pending, key=pending.get)
                victim = servers[[f"127.0.0.1:{p}" for p in ports].index(victim_addr)]
                victim.kill()
                killed = (victim, pending[victim_addr], time.monotonic() - t0, answered[0])
                print(f"after {killed[3]} answers ({killed[2]:.1f} s): SIGKILL {victim.name} ({victim_addr}) "
                      f"with {killed[1]} of its clients' requests pending")
            done.wait(0.05)
        wall = time.monotonic() - t0

        by_instance, retried, lat = {}, 0, []
        for i, r in enumerate(results):
            if r is None:
                failures.append(f"request {i}: no answer within {a.deadline:.0f} s")
                continue
            lat.append(r[0])
            if r[1] is None:
                failures.append(f"request {i}: connection failed ({r[3].decode()})")
                continue
            tried = [u.strip() for u in r[2].split(",") if u.strip()]
            if len(tried) > 1:
                retried += 1
            ok, seed, _, why = qdserve.check_txt2img(r[1], r[3], a.size)
            if not ok:
                failures.append(f"request {i} (upstreams {r[2]}): {why}")
                continue
            if seed != 50000 + i:
                failures.append(f"request {i}: asked seed {50000 + i}, got the answer for seed {seed}")
                continue
            final = tried[-1] if tried else "?"
            by_instance[final] = by_instance.get(final, 0) + 1
        ok_count = sum(by_instance.values())
        print(f"{ok_count}/{a.requests} answered 200 with their own seed in {wall:.1f} s; latency s "
              f"min {min(lat):.2f}, max {max(lat):.2f}" if lat else "no answers")
        names = {f"127.0.0.1:{p}": s.name for p, s in zip(ports, servers)}
        print("answered by: " + ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(by_instance.items())))
        print(f"retried on the other instance by nginx: {retried}")
        if len(by_instance) < 2:
            failures.append(f"only {len(by_instance)} instance answered: no load balancing")
        if killed and killed[1] > 0 and retried == 0:
            failures.append("the killed instance had pending requests but none was retried")
        survivors = [s for s in servers if killed is None or s is not killed[0]]
        for s in survivors:
            if not (s.alive() and s.ping()):
                failures.append(f"{s.name} (not killed) is gone or does not answer /internal/ping")
        for s in servers:
            print(f"{s.name} RSS at the end: " + (f"{s.rss_kib() / 1024:.1f} MiB" if s.rss_kib() else "(not running)"))
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)  # graceful: finishes open requests, then exits
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        for s in servers:
            s.stop()
        if failures or a.keep:
            print(f"logs: {work}/logs/access.log, {work}/serve*/server.log")
        if not a.keep and not failures:
            shutil.rmtree(work, ignore_errors=True)
    for f in failures[:30]:
        print("FAIL", f)
    print("lb-test: " + ("OK" if not failures else f"{len(failures)} failures"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
