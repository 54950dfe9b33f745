#!/usr/bin/env python3
"""Reliability under faults, with figures: QDiffusion's three programs killed at random moments, a
full disk, an oversized request, and a long run through the server's queue with model switches.

  tests/reliability/reliability.py --build build [--kills 20] [--soak 300] [--switches 20]
                                   [--only crash,disk,oom,soak] [--seed S] [--keep]

Sections (docs/reliability.md):
  crash  kill -9 the CLI, the server and the GUI (offscreen) --kills times each at random moments
         while they generate and save; after every kill: each visible file in the output folders is
         a complete PNG carrying its parameters, the GUI's history database passes PRAGMA
         integrity_check and each row points to such a file, no half-written file is visible (a cut
         write leaves only a hidden .NAME.part-XXXXXX), and the settings file is unchanged.
  disk   outputs on a tiny filesystem (tmpfs when mounting is allowed, else a file-size limit): the
         CLI fails naming the folder, the server still answers with its images and names the folder
         in its log, the GUI keeps its job queued; images saved before are byte-identical.
  oom    an 8192x8192 batch of 64 fails at once naming its size and the memory it needs; with the
         memory capped (QD_MEMORY_LIMIT_MB) a 1024x1024 image is decoded in tiles instead.
  soak   --soak demo generations through one server's queue, switching between two checkpoints
         --switches times; resident memory, open files and threads before and after.
Exit status 0 when every check held, 1 otherwise. Standard library only (Debian's python3).
"""

import argparse
import base64
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "load"))
import checks  # noqa: E402
import qdserve  # noqa: E402

PROMPT = "a red circle on a white background"
failures = []


def fail(what):
    failures.append(what)
    print("  FAIL: " + what, flush=True)


def env_for(home, **extra):
    env = dict(os.environ, QDIFFUSION_HOME=home, OMP_WAIT_POLICY="PASSIVE", QT_QPA_PLATFORM="offscreen")
    env.pop("QDIFFUSION_DEMO_MODEL", None)  # the model a user gets
    env.update(extra)
    return env


def run_for(args, env, seconds, log):
    """Starts `args`, SIGKILLs it after `seconds` (unless it ended first); returns (killed, rc)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            rc = proc.wait(seconds)
            return False, rc
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True, -9


def check_state(label, home, folders, settings_sha):
    """Everything that must hold after a fault; returns (images, rows, hidden partials)."""
    images = partials = 0
    for folder in folders:
        n, problems = checks.image_problems(folder)
        images += n
        partials += len(checks.hidden_partials(folder))
        for p in problems:
            fail("%s: %s" % (label, p))
    rows, problems = checks.history_problems(os.path.join(home, "data", "history.sqlite"))
    for p in problems:
        fail("%s: %s" % (label, p))
    settings = os.path.join(home, "config", "settings.yaml")
    if settings_sha and checks.sha256(settings) != settings_sha:
        fail("%s: the settings file changed" % label)
    return images, rows, partials


def reference_image(cli, work):
    """A small demo image whose parameters the GUI restores (qdiffusion IMAGE --generate)."""
    out = os.path.join(work, "reference")
    subprocess.run([cli, "generate", "--prompt", PROMPT, "--steps", "3", "--seed", "11", "--outdir", out],
                   env=env_for(os.path.join(work, "reference-home")), check=True, capture_output=True)
    return os.path.join(out, "samples", "00000.png")


# ---- crash --------------------------------------------------------------------------------------
def crash(cli, gui, work, kills, rng):
    print("crash: kill -9 at random moments, %d times per program" % kills, flush=True)
    ref = reference_image(cli, work)
    for name in ("cli", "server", "gui"):
        home = os.path.join(work, "crash-" + name)
        out = os.path.join(home, "outputs") if name == "gui" else os.path.join(work, "crash-%s-out" % name)
        os.makedirs(out, exist_ok=True)
        log = os.path.join(work, "crash-%s.log" % name)
        # the settings file, written once by a normal start, must survive every kill unchanged
        subprocess.run([cli, "generate", "--prompt", PROMPT, "--steps", "1", "--outdir", os.path.join(work, "warm")],
                       env=env_for(home), check=True, capture_output=True)
        settings = os.path.join(home, "config", "settings.yaml")
        settings_sha = checks.sha256(settings) if os.path.exists(settings) else None
        landed = 0
        start = time.monotonic()
        for i in range(kills):
            if name == "cli":
                args = [cli, "generate", "--prompt", PROMPT, "--steps", "3", "--n_iter", "12", "--n_samples", "1",
                        "--seed", str(100 + i), "--outdir", out]
                killed, _ = run_for(args, env_for(home), rng.uniform(0.5, 8.0), log)
            elif name == "gui":
                args = [gui, ref, "--generate", "--batch-count", "6"]
                killed, _ = run_for(args, env_for(home), rng.uniform(1.0, 12.0), log)
            else:
                killed = kill_server_while_busy(cli, home, out, rng.uniform(1.0, 8.0), log, i)
            landed += killed
            check_state("%s kill %d" % (name, i + 1), home, [out], settings_sha)
        images, rows, partials = check_state(name, home, [out], settings_sha)
        print("  %-6s %2d kills (%d while running) in %.0f s: %d images whole, %d history rows whole, "
              "%d hidden partial files left by cut writes" % (
                  name, kills, landed, time.monotonic() - start, images, rows, partials), flush=True)


def kill_server_while_busy(cli, home, out, seconds, log, i):
    """Starts a server saving every image, keeps two clients posting, SIGKILLs it after `seconds`."""
    port = qdserve.free_port()
    env = env_for(home)
    args = [cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--outdir", out, "--save-images"]
    with open(log, "ab") as logf:
        proc = subprocess.Popen(args, env=env, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    stop = threading.Event()

    def client(k):
        n = 0
        while not stop.is_set():
            body = qdserve.txt2img_body(1000 * i + 10 * k + n, steps=3, size=128, prompt=PROMPT)
            body["n_iter"] = 2
            try:
                qdserve.request(url + "/sdapi/v1/txt2img", body, timeout=30)
            except OSError:
                time.sleep(0.05)
            n += 1

    clients = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(2)]
    for c in clients:
        c.start()
    time.sleep(seconds)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for c in clients:
        c.join(35)
    return alive


# ---- disk full ----------------------------------------------------------------------------------
def mount_tiny(folder, kib):
    os.makedirs(folder, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % kib, "tmpfs", folder], capture_output=True)
    return r.returncode == 0


def fill(folder, leave_bytes):
    """Fills the filesystem of `folder` up to `leave_bytes` free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(folder, "filler.bin"), "wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))


def disk(cli, gui, work):
    print("disk: outputs on a full filesystem", flush=True)
    target = os.path.join(work, "tiny")
    mounted = mount_tiny(target, 2048)
    limit = None
    if not mounted:
        os.makedirs(target, exist_ok=True)
        limit = 60 * 1024  # RLIMIT_FSIZE: no file may grow past 60 KiB
        print("  (no tmpfs: mounting is not allowed here; a %d KiB file-size limit instead)" % (limit // 1024))
    try:
        home = os.path.join(work, "disk-home")
        before_dir = os.path.join(target, "cli")
        subprocess.run([cli, "generate", "--prompt", PROMPT, "--steps", "2", "--n_iter", "2", "--outdir", before_dir],
                       env=env_for(home), check=True, capture_output=True)
        saved = {p: checks.sha256(p) for p in checks.visible_files(target)}
        if mounted:
            fill(target, 8 * 1024)

        def limited():
            if limit:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        # CLI: fails, naming the folder
        big = ["--W", "512", "--H", "512"] if limit else []
        r = subprocess.run([cli, "generate", "--prompt", PROMPT, "--steps", "2", "--outdir", before_dir] + big,
                           env=env_for(home), capture_output=True, text=True, preexec_fn=limited)
        said = (r.stdout + r.stderr).strip().splitlines()
        message = next((l for l in said if "error" in l.lower()), said[-1] if said else "")
        if r.returncode == 0 or before_dir not in message:
            fail("disk/cli: exit %d, message %r does not name %s" % (r.returncode, message, before_dir))
        print("  cli    exit %d: %s" % (r.returncode, message))

        # server: answers with its images, and says in its log which folder it could not write
        server_out = os.path.join(target, "server")
        server = qdserve.Server(cli, workdir=os.path.join(work, "disk-server"), extra_args=["--save-images"])
        server.outdir = server_out
        server.start()
        try:
            body = qdserve.txt2img_body(5, steps=2, size=512 if limit else 128, prompt=PROMPT)
            status, _, reply = qdserve.request(server.url + "/sdapi/v1/txt2img", body, timeout=120)
            ok, _, _, why = qdserve.check_txt2img(status, reply)
            logged = [l for l in server.log_text().splitlines() if server_out in l]
            if not mounted:
                print("  server (not checked: the file-size limit cannot be set on a running server)")
            elif not ok or not logged:
                fail("disk/server: %s; log lines naming the folder: %s" % (why or "answered", logged[:2]))
            else:
                print("  server answered 200 with its image; log: %s" % logged[0].strip())
        finally:
            server.cleanup()

        # GUI: the job stays queued, nothing crashes, the history stays whole
        gui_home = os.path.join(work, "disk-gui")
        os.makedirs(gui_home, exist_ok=True)
        if mounted:
            os.symlink(os.path.join(target, "gui"), os.path.join(gui_home, "outputs"))
            os.makedirs(os.path.join(target, "gui"), exist_ok=True)
        ref = reference_image(cli, work)
        proc = subprocess.Popen([gui, ref, "--generate"], env=env_for(gui_home), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, preexec_fn=limited)
        time.sleep(20)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        out = proc.communicate()[0].decode(errors="replace")
        if not alive:
            fail("disk/gui: the studio ended by itself (exit %s): %s" % (proc.returncode, out[-500:]))
        rows, problems = checks.history_problems(os.path.join(gui_home, "data", "history.sqlite"))
        for p in problems:
            fail("disk/gui: " + p)
        print("  gui    still running after 20 s with its job queued; %d history rows, all whole" % rows)

        for path, digest in saved.items():
            if not os.path.exists(path) or checks.sha256(path) != digest:
                fail("disk: %s, saved before the disk filled, changed" % path)
        n, problems = checks.image_problems(target) if mounted else (0, [])
        for p in problems:
            if "filler.bin" not in p:
                fail("disk: " + p)
        print("  %d images saved before the disk was full: unchanged" % len(saved))
    finally:
        if mounted:
            subprocess.run(["umount", target], capture_output=True)


# ---- out of memory ------------------------------------------------------------------------------
def timed(args, env):
    start = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out, time.monotonic() - start, usage.ru_maxrss / 1024.0


def oom(cli, work):
    print("oom: requests larger than the memory", flush=True)
    home = os.path.join(work, "oom-home")
    rc, out, secs, peak = timed([cli, "generate", "--prompt", PROMPT, "--W", "8192", "--H", "8192",
                                 "--n_samples", "64", "--outdir", os.path.join(work, "oom")], env_for(home))
    line = next((l for l in out.splitlines() if l.startswith("error")), "")
    if rc == 0 or "8192x8192 with batch size 64 needs about" not in line or "available" not in line:
        fail("oom: exit %d, %r" % (rc, line or out[-300:]))
    print("  8192x8192, batch 64: exit %d after %.1f s, peak %.0f MiB: %s" % (rc, secs, peak, line))
    for cap in (None, 400):
        env = env_for(home, **({"QD_MEMORY_LIMIT_MB": str(cap)} if cap else {}))
        rc, out, secs, peak = timed([cli, "generate", "--prompt", PROMPT, "--W", "1024", "--H", "1024", "--steps",
                                     "2", "--outdir", os.path.join(work, "oom-%s" % cap)], env)
        if rc != 0:
            fail("oom: 1024x1024 with %s MiB: exit %d: %s" % (cap, rc, out[-300:]))
        print("  1024x1024, %s: exit %d, %.1f s, peak resident memory %.0f MiB" % (
            "memory capped at %d MiB (decoded in tiles)" % cap if cap else "no cap (decoded whole)", rc, secs, peak))


# ---- soak ---------------------------------------------------------------------------------------
def proc_figures(pid):
    """(VmRSS KiB, open files, threads) of an idle server: a second's pause first, so that the
    connection of the last request is closed."""
    time.sleep(1.0)
    rss = qdserve.rss_kib(pid)
    fds = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            fds[fd] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    threads = len(os.listdir("/proc/%d/task" % pid))
    return rss, fds, threads


def soak(cli, work, count, switches):
    print("soak: %d generations through one server's queue, %d model switches" % (count, switches), flush=True)
    models = os.path.join(work, "soak-models")
    os.makedirs(models, exist_ok=True)
    for name in ("shapes-a", "shapes-b"):
        for ext in (".safetensors", ".yaml"):
            shutil.copy(os.path.join(ROOT, "resources", "demo", "qd-shapes" + ext), os.path.join(models, name + ext))
    server = qdserve.Server(cli, workdir=os.path.join(work, "soak"), extra_args=["--models", models])
    server.start()
    try:
        titles = [m["title"] for m in json.loads(qdserve.request(server.url + "/sdapi/v1/sd-models")[2])
                  if m["title"].startswith("shapes-")]
        if len(titles) != 2:
            fail("soak: the server lists %s, expected the two copies" % titles)
            return
        every = max(1, count // (switches + 1))
        done, switched, figures, start = 0, 0, {}, time.monotonic()
        model = 0
        for n in range(count):
            if n and n % every == 0 and switched < switches:
                model = 1 - model
                switched += 1
            body = qdserve.txt2img_body(n, steps=4, size=128, prompt=PROMPT)
            body["override_settings"] = {"sd_model_checkpoint": titles[model]}
            status, _, reply = qdserve.request(server.url + "/sdapi/v1/txt2img", body, timeout=120)
            ok, _, _, why = qdserve.check_txt2img(status, reply, 128)
            if not ok:
                fail("soak: request %d: %s" % (n, why))
                break
            done += 1
            if n + 1 == 2 * every:  # both models loaded once, the allocator warm
                figures["warm"] = proc_figures(server.proc.pid)
        figures["end"] = proc_figures(server.proc.pid)
        secs = time.monotonic() - start
        (r0, f0, t0), (r1, f1, t1) = figures["warm"], figures["end"]
        growth = 100.0 * (r1 - r0) / r0
        print("  %d generations, %d switches in %.0f s (%.2f s each)" % (done, switched, secs, secs / max(1, done)))
        print("  resident memory %.0f -> %.0f MiB (%+.1f %%), open files %d -> %d, threads %d -> %d" % (
            r0 / 1024.0, r1 / 1024.0, growth, len(f0), len(f1), t0, t1))
        if growth >= 5.0:
            fail("soak: resident memory grew %.1f %% (goal < 5 %%)" % growth)
        if len(f1) > len(f0):
            fail("soak: open files grew from %d to %d: %s" % (
                len(f0), len(f1), sorted(set(f1.values()) - set(f0.values()))))
        if t1 > t0:
            fail("soak: threads grew from %d to %d" % (t0, t1))
    finally:
        server.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--soak", type=int, default=300)
    ap.add_argument("--switches", type=int, default=20)
    ap.add_argument("--only", default="crash,disk,oom,soak")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    qdserve.exit_on_sigterm()
    cli = os.path.join(a.build, "bin", "qdiffusion-cli")
    gui = os.path.join(a.build, "bin", "qdiffusion")
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    print("reliability: %s, seed %d (--seed %d replays the kill times)" % (a.build, seed, seed), flush=True)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="qd-reliability.")
    start = time.monotonic()
    try:
        sections = a.only.split(",")
        if "crash" in sections:
            crash(cli, gui, work, a.kills, rng)
        if "disk" in sections:
            disk(cli, gui, work)
        if "oom" in sections:
            oom(cli, work)
        if "soak" in sections:
            soak(cli, work, a.soak, a.switches)
    finally:
        if a.keep:
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("reliability: %d failures in %.0f s" % (len(failures), time.monotonic() - start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
