#!/usr/bin/python3
"""Load on `qdiffusion-cli serve` (loopback only, bounded, not part of CI): N sequential then M
concurrent txt2img requests on the built-in demo model; every request must be answered with a PNG
of the asked size, none lost (sequential: each answer carries its own request's seed; concurrent:
seed -1, the seeds and images that come back are all distinct), the server alive at the end. Prints
latencies, throughput, the progress endpoint's latency while the queue is full, and the server's
RSS (VmRSS) before and after.

    tests/load/load-api.py --cli build/bin/qdiffusion-cli            # 200 sequential, 20 concurrent
    tests/load/load-api.py --cli ... --sequential 50 --concurrent 10 --steps 4 --size 64

Standard library only. Exit status 0 when every request was answered correctly, 1 otherwise, 2
when the server could not be started.
"""

import argparse
import hashlib
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qdserve  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def describe(name, lat, wall):
    if not lat:
        return f"{name}: no answers"
    return (f"{name}: {len(lat)} answers in {wall:.1f} s ({len(lat) / wall:.2f} req/s); latency ms "
            f"min {min(lat) * 1e3:.0f}, median {statistics.median(lat) * 1e3:.0f}, "
            f"p95 {pct(lat, 95) * 1e3:.0f}, max {max(lat) * 1e3:.0f}")


def mib(kib):
    return "?" if kib is None else f"{kib / 1024:.1f} MiB"


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.path.join(root, "build", "bin", "qdiffusion-cli"))
    ap.add_argument("--port", type=int, default=0, help="default: a free one")
    ap.add_argument("--sequential", type=int, default=200)
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--request-timeout", type=float, default=600.0)
    ap.add_argument("--deadline", type=float, default=1200.0, help="whole run bound in seconds")
    ap.add_argument("--serve-arg", action="append", default=[], help="passed to serve (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the server's folder (log, outputs)")
    a = ap.parse_args()
    qdserve.exit_on_sigterm()
    a.sequential = min(a.sequential, 2000)   # bounded whatever is asked
    a.concurrent = min(a.concurrent, 200)

    server = qdserve.Server(a.cli, port=a.port or None, extra_args=a.serve_arg, name="serve")
    try:
        t0 = time.monotonic()
        server.start()
    except (OSError, RuntimeError) as e:
        print(f"load-api: cannot start the server: {e}")
        return 2
    print(f"server pid {server.proc.pid} on {server.url}, ready in {time.monotonic() - t0:.1f} s; "
          f"{a.sequential} sequential + {a.concurrent} concurrent txt2img, {a.size}x{a.size}, {a.steps} steps")
    deadline = time.monotonic() + a.deadline
    failures = []
    rss = {"idle": server.rss_kib()}
    url = server.url + "/sdapi/v1/txt2img"
    try:
        # Warm-up: the first job loads the model; not counted in the figures.
        t = time.monotonic()
        st, _, body = qdserve.request(url, qdserve.txt2img_body(1, a.steps, a.size), timeout=a.request_timeout)
        ok, _, _, why = qdserve.check_txt2img(st, body, a.size)
        print(f"warm-up request: {(time.monotonic() - t) * 1e3:.0f} ms" + ("" if ok else f" FAILED {why}"))
        if not ok:
            failures.append(f"warm-up: {why}")
        rss["after warm-up"] = server.rss_kib()

        # Sequential, explicit seeds: each answer must carry its own seed.
        lat, images = [], set()
        t_seq = time.monotonic()
        for i in range(a.sequential):
            if time.monotonic() > deadline:
                failures.append(f"sequential: deadline reached after {i} requests")
                break
            seed = 1000 + i
            t = time.monotonic()
            try:
                st, _, body = qdserve.request(url, qdserve.txt2img_body(seed, a.steps, a.size), timeout=a.request_timeout)
            except OSError as e:
                failures.append(f"sequential #{i}: no answer ({e})")
                continue
            lat.append(time.monotonic() - t)
            ok, got, img, why = qdserve.check_txt2img(st, body, a.size)
            if not ok:
                failures.append(f"sequential #{i}: {why}")
            elif got != seed:
                failures.append(f"sequential #{i}: asked seed {seed}, the answer says {got}")
            else:
                images.add(hashlib.sha256(img.encode()).hexdigest())
        print(describe("sequential", lat, time.monotonic() - t_seq))
        print(f"sequential: {len(images)} distinct images from {a.sequential} distinct seeds")
        rss["after sequential"] = server.rss_kib()

        # Concurrent: all at once (a barrier), seed -1; the server queues them one job at a time.
        results = [None] * a.concurrent
        barrier = threading.Barrier(a.concurrent + 1)

        def worker(i):
            barrier.wait()
            t = time.monotonic()
            try:
                st, _, body = qdserve.request(url, qdserve.txt2img_body(-1, a.steps, a.size), timeout=a.request_timeout)
                results[i] = (time.monotonic() - t, st, body)
            except OSError as e:
                results[i] = (time.monotonic() - t, None, repr(e).encode())

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.concurrent)]
        for th in threads:
            th.start()
        barrier.wait()
        t_con = time.monotonic()
        # While the queue is full, progress must answer at once.
        progress_lat, progress_bad = [], 0
        while any(th.is_alive() for th in threads) and time.monotonic() < deadline:
            t = time.monotonic()
            try:
                st, _, _ = qdserve.request(server.url + "/sdapi/v1/progress?skip_current_image=true", timeout=30)
                progress_lat.append(time.monotonic() - t)
                progress_bad += st != 200
            except OSError:
                progress_bad += 1
            time.sleep(0.05)
        for th in threads:
            th.join(max(0.0, deadline - time.monotonic()))
        wall = time.monotonic() - t_con
        seeds, cimages, clat = set(), set(), []
        for i, r in enumerate(results):
            if r is None:
                failures.append(f"concurrent #{i}: no answer before the deadline")
                continue
            clat.append(r[0])
            if r[1] is None:
                failures.append(f"concurrent #{i}: no answer ({r[2].decode()})")
                continue
            ok, got, img, why = qdserve.check_txt2img(r[1], r[2], a.size)
            if not ok:
                failures.append(f"concurrent #{i}: {why}")
                continue
            seeds.add(got)
            cimages.add(hashlib.sha256(img.encode()).hexdigest())
        print(describe("concurrent", clat, wall))
        print(f"concurrent: {len(seeds)} distinct seeds, {len(cimages)} distinct images from {a.concurrent} requests")
        if len(seeds) != a.concurrent - sum(1 for r in results if r is None or r[1] != 200):
            failures.append(f"concurrent: {len(seeds)} distinct seeds for {a.concurrent} requests (answers mixed up?)")
        if progress_lat:
            print(f"progress while {a.concurrent} jobs queued: {len(progress_lat)} polls, latency ms median "
                  f"{statistics.median(progress_lat) * 1e3:.1f}, max {max(progress_lat) * 1e3:.1f}, {progress_bad} not 200")
        if progress_bad:
            failures.append(f"progress: {progress_bad} polls not answered 200 while jobs were queued")
        rss["after concurrent"] = server.rss_kib()

        alive = server.alive() and server.ping()
        if not alive:
            failures.append("the server is gone or /internal/ping does not answer at the end")
        print("server RSS (VmRSS): " + ", ".join(f"{k} {mib(v)}" for k, v in rss.items()))
        if rss["after warm-up"] and rss["after concurrent"]:
            print(f"RSS growth over {a.sequential + a.concurrent} requests after warm-up: "
                  f"{(rss['after concurrent'] - rss['after warm-up']) / 1024:+.1f} MiB")
        outputs = len(os.listdir(server.outdir)) if os.path.isdir(server.outdir) else 0
        print(f"files in the server's output folder: {outputs}")
    finally:
        rc = server.stop()
        print(f"server stopped (exit status {rc})")
        if a.keep:
            print(f"kept {server.workdir}")
        else:
            server.cleanup()
    for f in failures[:30]:
        print("FAIL", f)
    if len(failures) > 30:
        print(f"... and {len(failures) - 30} more")
    print("load-api: " + ("OK" if not failures else f"{len(failures)} failures"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
