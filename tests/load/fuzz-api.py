#!/usr/bin/python3
"""Bounded randomized requests against `qdiffusion-cli serve` on loopback: mutated txt2img, img2img,
options and png-info bodies (every field given random JSON types, huge numbers, NaN and Infinity,
deep nesting, long and odd strings), malformed bodies (truncated JSON, random bytes, invalid UTF-8,
not an object), bad base64 and crafted images (truncated PNG, a PNG claiming 65535x65535),
wrong methods, random paths, bad Authorization headers, and a few raw malformed HTTP requests.

Checked for every request: a well-formed HTTP answer within the timeout; no 5xx (A1111 itself
answers 500 for an undecodable image or an unknown option key; those are allowed, and counted);
JSON bodies that parse; error bodies shaped as A1111's ({"detail": ...} or {"error", "detail", ...});
an unknown route answers exactly 404 {"detail": "Not Found"}; a wrong credential never gets a 2xx
from an /sdapi route; a 200 from txt2img/img2img carries PNGs. At the end the server process must
be alive and /internal/ping must answer. Prints counts by status and category.

    tests/load/fuzz-api.py --server build/bin/qdiffusion-cli [--port 0] [--count 2000] [--seed 1]
    tests/load/fuzz-api.py --url http://127.0.0.1:7860 --auth user:pass     # a server already running

Cheap by construction: sizes, steps and batch counts are either tiny or far outside any cap, so
no request can start a long generation. Standard library only; loopback only; bounded by --count
and --max-seconds. Exit 0 OK, 1 findings (written to --artifacts when given), 2 setup problem.
"""

import argparse
import base64
import http.client
import json
import os
import random
import socket
import struct
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qdserve  # noqa: E402

# Every route of AUTOMATIC1111 v1.10.1's API (api.py add_api_route, the Lora extension, the app's
# /internal routes): a path among these may be unimplemented (404) but is never "unknown".
A1111_ROUTES = {
    "txt2img", "img2img", "extra-single-image", "extra-batch-images", "png-info", "progress",
    "interrogate", "interrupt", "skip", "options", "cmd-flags", "samplers", "schedulers", "upscalers",
    "latent-upscale-modes", "sd-models", "sd-modules", "sd-vae", "hypernetworks", "face-restorers",
    "realesrgan-models", "prompt-styles", "embeddings", "refresh-embeddings", "refresh-checkpoints",
    "refresh-vae", "refresh-loras", "loras", "create/embedding", "create/hypernetwork",
    "train/embedding", "train/hypernetwork", "memory", "unload-checkpoint", "reload-checkpoint",
    "scripts", "script-info", "extensions", "server-kill", "server-restart", "server-stop",
}
GET_ROUTES = ["progress", "options", "cmd-flags", "samplers", "schedulers", "upscalers",
              "latent-upscale-modes", "sd-models", "sd-vae", "hypernetworks", "face-restorers",
              "realesrgan-models", "prompt-styles", "embeddings", "loras", "memory", "scripts"]
POST_ROUTES = ["txt2img", "img2img", "png-info", "options", "interrupt", "skip",
               "refresh-checkpoints", "refresh-loras", "unload-checkpoint", "reload-checkpoint"]

TXT2IMG_FIELDS = ["prompt", "negative_prompt", "styles", "seed", "subseed", "subseed_strength",
                  "seed_resize_from_h", "seed_resize_from_w", "sampler_name", "sampler_index", "scheduler",
                  "batch_size", "n_iter", "steps", "cfg_scale", "width", "height", "restore_faces",
                  "tiling", "do_not_save_samples", "do_not_save_grid", "eta", "denoising_strength",
                  "s_min_uncond", "s_churn", "s_tmax", "s_tmin", "s_noise", "override_settings",
                  "override_settings_restore_afterwards", "refiner_checkpoint", "refiner_switch_at",
                  "disable_extra_networks", "firstpass_image", "comments", "enable_hr", "firstphase_width",
                  "firstphase_height", "hr_scale", "hr_upscaler", "hr_second_pass_steps", "hr_resize_x",
                  "hr_resize_y", "hr_checkpoint_name", "hr_sampler_name", "hr_scheduler", "hr_prompt",
                  "hr_negative_prompt", "script_name", "script_args", "send_images", "save_images",
                  "alwayson_scripts", "force_task_id", "infotext"]
IMG2IMG_FIELDS = [f for f in TXT2IMG_FIELDS if not f.startswith(("hr_", "firstphase", "enable_hr"))] + [
    "init_images", "resize_mode", "image_cfg_scale", "mask", "mask_blur_x", "mask_blur_y", "mask_blur",
    "mask_round", "inpainting_fill", "inpaint_full_res", "inpaint_full_res_padding",
    "inpainting_mask_invert", "initial_noise_multiplier", "latent_mask", "include_init_images"]
# Fields whose valid values cost time: only tiny valid values or far-out-of-range ones are sent.
COSTLY = {"width": (64, 8, 16), "height": (64, 8, 16), "steps": (1, 2, 3), "batch_size": (1, 2),
          "n_iter": (1, 2), "hr_second_pass_steps": (1,), "firstphase_width": (64,), "firstphase_height": (64,),
          "hr_resize_x": (64,), "hr_resize_y": (64,), "hr_scale": (1.0,)}
OPTION_KEYS = ["sd_model_checkpoint", "sd_vae", "CLIP_stop_at_last_layers", "samples_format", "jpeg_quality",
               "send_seed", "send_size", "eta_noise_seed_delta", "show_progress_every_n_steps",
               "live_previews_enable", "outdir_samples", "sd_checkpoint_cache", "no_such_option_key"]


def png(w, h, text=None, truncate=None, ihdr_size=None):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    iw, ih = ihdr_size or (w, h)
    raw = b"".join(b"\0" + bytes((x * 7 + y * 3) & 255 for x in range(w * 3)) for y in range(h))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", iw, ih, 8, 2, 0, 0, 0))
    if text:
        data += chunk(b"tEXt", b"parameters\0" + text.encode("latin-1", "replace"))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return data[:truncate] if truncate else data


class Fuzzer:
    def __init__(self, rng, auth):
        self.r = rng
        self.auth = auth
        good = png(64, 64, "a cat\nSteps: 2, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x64")
        b64 = base64.b64encode(good).decode()
        self.good_image = "data:image/png;base64," + b64
        self.bad_images = [
            "", "data:image/png;base64,", "data:image/png;base64", "!!!!", "AAAA", "=" * 9, b64[:-7],
            "data:image/png;base64," + b64[: len(b64) // 2],
            base64.b64encode(os.urandom(300)).decode(),
            base64.b64encode(png(64, 64, truncate=60)).decode(),
            base64.b64encode(png(4, 4, ihdr_size=(65535, 65535))).decode(),   # claims 12 GiB of pixels
            base64.b64encode(png(1, 1)).decode(), base64.b64encode(png(1, 1) + os.urandom(50)).decode(),
            "data:text/plain;base64," + b64, "http://127.0.0.1:1/x.png", "file:///etc/passwd",
            "data:image/png;base64," + "\u00e9" * 40, b64.replace("A", "*"),
        ]

    # --- random JSON values ---------------------------------------------------------------------
    def number(self):
        return self.r.choice([0, -1, 1, 2, 7, -2**31, 2**31, 2**32, 2**53 + 1, 2**63, 2**64, -2**63, 10**30,
                              1e308, -1e308, 5e-324, 0.5, -0.0, 1e-9, 3.14159, 10**400 // 10**399])

    def string(self):
        return self.r.choice(["", " ", "a", "Euler a", "DPM++ 2M Karras", "euler_a", "None", "null", "0", "1e999",
                              "NaN", "\u0000", "\u202e\u200b", "\ud83d\ude00" * 10, "%s%n%x", "../../../../etc/passwd",
                              "/etc/passwd", "C:\\Windows\\win.ini", "<lora:../../x:1>", "((((((((((a:1.5",
                              "[a:b:0.5] [c|d] BREAK (e:-1e308)", "x" * self.r.choice([100, 5000]),
                              "".join(chr(self.r.randrange(32, 0x2FFF)) for _ in range(40))])

    def deep(self, depth=None):
        depth = depth or self.r.choice([50, 600, 5000])
        v = self.r.choice([[], {}])
        for _ in range(depth):
            v = [v] if self.r.random() < 0.5 else {"a": v}
        return v

    def value(self):
        k = self.r.randrange(10)
        if k == 0:
            return None
        if k == 1:
            return self.r.choice([True, False])
        if k in (2, 3):
            return self.number()
        if k in (4, 5):
            return self.string()
        if k == 6:
            return [self.value() if self.r.random() < 0.5 else self.number() for _ in range(self.r.randrange(4))]
        if k == 7:
            return {self.string(): self.number() for _ in range(self.r.randrange(3))}
        if k == 8:
            return self.r.choice([float("nan"), float("inf"), float("-inf")])
        return self.deep(self.r.choice([3, 20]))

    def field_value(self, field):
        if field in COSTLY and self.r.random() < 0.5:
            if self.r.random() < 0.5:
                return self.r.choice(COSTLY[field])
            return self.r.choice([0, -1, -64, 10**6, 2**31, 1e308, 65535, "99999", 7, 63])
        if field in ("init_images",):
            return self.r.choice([[self.r.choice(self.bad_images)], [self.good_image], [], self.value(),
                                  [self.good_image, self.r.choice(self.bad_images)]])
        if field in ("mask", "firstpass_image", "latent_mask"):
            return self.r.choice(self.bad_images + [self.good_image, None, self.value()])
        if field == "override_settings":
            return {self.r.choice(OPTION_KEYS): self.value() for _ in range(self.r.randrange(1, 3))}
        if field in COSTLY:   # anything but a mid-range number
            v = self.value()
            return v if not isinstance(v, (int, float)) or isinstance(v, bool) or abs(v) > 10**5 or v <= 8 else 1
        return self.value()

    # --- requests ---------------------------------------------------------------------------------
    def base_txt2img(self):
        return {"prompt": "a fuzzed cat", "steps": 2, "width": 64, "height": 64, "seed": self.r.randrange(1000),
                "sampler_name": "Euler a"}

    def generation(self, img2img):
        body = self.base_txt2img()
        fields = IMG2IMG_FIELDS if img2img else TXT2IMG_FIELDS
        if img2img:
            body["init_images"] = [self.good_image]
            body["denoising_strength"] = 0.5
        for f in self.r.sample(fields, self.r.randint(1, 4)):
            body[f] = self.field_value(f)
        return body

    def encode(self, body):
        """JSON text, sometimes with NaN/Infinity literals (Python's json does write them)."""
        return json.dumps(body, allow_nan=True, ensure_ascii=self.r.random() < 0.5).encode("utf-8", "surrogatepass")

    def malformed(self):
        good = self.encode(self.base_txt2img())
        return self.r.choice([
            b"", b"{", b"}", b"[]", b"null", b"42", b'"text"', b"true", good[: self.r.randrange(1, len(good))],
            good + b"garbage", good.replace(b":", b"=", 1), os.urandom(self.r.choice([1, 64, 4096])),
            b"\xef\xbb\xbf" + good, b'{"prompt": "\xff\xfe bad utf-8"}', b'{"prompt": "\\ud800"}',
            b'{"steps": 2, "steps": "x", "steps": null}', b'{"width": 1e999999}', b'{"seed": -}',
            b"[" * 100000 + b"]" * 100000, b'{"a":' * 20000 + b"1" + b"}" * 20000,
            b'{"prompt": "a' + b"\\" * 3 + b'"}', b"{\"prompt\": \"\x00\"}", b"\x00" * 100,
            json.dumps({"prompt": "x" * 1000, "steps": 2, "width": 64, "height": 64}).encode() * 3,
        ])

    def auth_headers(self, bad=False):
        if not self.auth:
            return {}
        if not bad:
            return {"Authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()}
        user, _, pw = self.auth.partition(":")
        return self.r.choice([
            {}, {"Authorization": ""}, {"Authorization": "Basic"}, {"Authorization": "Basic "},
            {"Authorization": "Basic !!!!"}, {"Authorization": "Bearer " + pw},
            {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}x".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw[:-1]}".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f"{user}x:{pw}".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f"{user}{pw}".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}\0".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f":{pw}".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()},
            {"Authorization": "basic " + base64.b64encode(f"{user.upper()}:{pw}".encode()).decode()},
            {"Authorization": "Basic " + "A" * 20000},
            {"Authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()[:-2]},
        ])

    def next(self):
        """(category, method, path, headers, body bytes or None)."""
        r = self.r
        k = r.random()
        h = self.auth_headers()
        jh = dict(h, **{"Content-Type": "application/json"})
        if k < 0.24:
            return "txt2img", "POST", "/sdapi/v1/txt2img", jh, self.encode(self.generation(False))
        if k < 0.38:
            return "img2img", "POST", "/sdapi/v1/img2img", jh, self.encode(self.generation(True))
        if k < 0.44:
            body = {r.choice(OPTION_KEYS): self.value() for _ in range(r.randrange(1, 4))}
            return "options", "POST", "/sdapi/v1/options", jh, self.encode(body)
        if k < 0.49:
            body = {"image": r.choice(self.bad_images + [self.good_image, None, self.value()])}
            if r.random() < 0.2:
                body = self.value()
            return "png-info", "POST", "/sdapi/v1/png-info", jh, self.encode(body)
        if k < 0.53:
            q = r.choice(["", "?skip_current_image=true", "?skip_current_image=maybe", "?" + "x=1&" * 500, "?%zz"])
            return "get", "GET", "/sdapi/v1/" + r.choice(GET_ROUTES) + (q if r.random() < 0.3 else ""), h, None
        if k < 0.65:
            return "malformed", "POST", "/sdapi/v1/" + r.choice(["txt2img", "img2img", "options", "png-info"]), jh, self.malformed()
        if k < 0.72:
            route = r.choice(POST_ROUTES + GET_ROUTES)
            method = r.choice(["PUT", "DELETE", "PATCH", "GET" if route in POST_ROUTES and route != "options" else "POST"])
            return "method", method, "/sdapi/v1/" + route, jh, (self.encode(self.value()) if method != "GET" else None)
        if k < 0.80:
            path = r.choice([
                "/sdapi/v1/" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz-_") for _ in range(r.randrange(1, 20))),
                "/sdapi/v2/txt2img", "/sdapi/v1/txt2img/x", "/sdapi/v1//txt2img", "/sdapi/v1/TXT2IMG",
                "/" + "a" * r.choice([10, 3000]), "/sdapi/v1/../../../etc/passwd", "/sdapi/v1/%2e%2e/%2e%2e/etc/passwd",
                "/sdapi/v1/txt2img%00", "/%ff%fe", "/docs/../sdapi/v1/nothing", "/internal/nothing",
                "/sdapi/v1/" + "x/" * 200])
            return "path", r.choice(["GET", "POST"]), path, jh, b"{}"
        if k < 0.88:
            route = r.choice(["txt2img", "options", "progress", "sd-models", "interrupt", "png-info"])
            method = "GET" if route in ("progress", "sd-models") or (route == "options" and r.random() < 0.5) else "POST"
            hb = dict(self.auth_headers(bad=True), **{"Content-Type": "application/json"})
            body = self.encode(self.base_txt2img()) if method == "POST" else None
            return "badauth", method, "/sdapi/v1/" + route, hb, body
        if k < 0.92:
            return "raw", None, None, None, r.choice([
                b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
                b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
                b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro",
                b"POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
                b"GET /internal/ping HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n",
                b"GET /internal/ping HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(3000)) + b"\r\n",
                b"GET /internal/ping HTTP/1.1\r\nHost: x\r\n\r\n" * 50,
            ])
        # control endpoints, with random bodies
        route = r.choice(["interrupt", "skip", "refresh-checkpoints", "refresh-loras", "unload-checkpoint", "reload-checkpoint"])
        return "control", "POST", "/sdapi/v1/" + route, jh, self.encode(self.value()) if r.random() < 0.5 else b""


def send(host, port, method, path, headers, body, timeout):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read()
    finally:
        conn.close()


def send_raw(host, port, data, timeout):
    """Raw bytes; returns the status line's code, or None when the server closed without one."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        got = b""
        try:
            while len(got) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
    if not got:
        return None
    if not got.startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP answer: {got[:60]!r}")
    return int(got.split(b" ", 2)[1])


def check(cat, method, path, status, ctype, body, auth):
    """The findings for one answer (empty when it is fine) and whether it is an allowed A1111 500."""
    problems = []
    route = (path or "").split("?", 1)[0]
    is_sdapi = route.startswith("/sdapi/v1/")
    name = route[len("/sdapi/v1/"):] if is_sdapi else None
    known = route == "/internal/ping" or (is_sdapi and name in A1111_ROUTES)
    doc = None
    if "json" in ctype.lower() or (is_sdapi and body[:1] in (b"{", b"[")):
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            problems.append(f"Content-Type {ctype!r} but the body is not JSON: {body[:120]!r}")
    allowed500 = False
    if status >= 500:
        detail = json.dumps(doc)[:300] if doc is not None else repr(body[:300])
        # A1111 answers 500 "Invalid encoded image" and 500 KeyError for an unknown option key.
        if status == 500 and cat in ("img2img", "png-info") and "image" in detail.lower():
            allowed500 = True
        elif status == 500 and cat == "options":
            allowed500 = True
        else:
            problems.append(f"status {status}: {detail}")
    if 400 <= status < 500 and (is_sdapi or route.startswith("/internal")) and doc is not None:
        if not (isinstance(doc, dict) and ("detail" in doc or "error" in doc)):
            problems.append(f"error body is not A1111's shape: {json.dumps(doc)[:200]}")
        elif status == 422 and isinstance(doc.get("detail"), list):
            for d in doc["detail"]:
                if not (isinstance(d, dict) and {"loc", "msg", "type"} <= set(d)):
                    problems.append(f"422 detail entry without loc/msg/type: {json.dumps(d)[:200]}")
                    break
    if cat == "path" and not known:
        if status != 404 or doc != {"detail": "Not Found"}:
            problems.append(f"unknown route: expected 404 {{\"detail\": \"Not Found\"}}, got {status} {body[:120]!r}")
    if cat == "badauth" and auth and 200 <= status < 300:
        problems.append(f"accepted a bad credential: {status}")
    if cat in ("txt2img", "img2img") and status == 200:
        if not (isinstance(doc, dict) and isinstance(doc.get("images"), list) and isinstance(doc.get("info"), str)):
            problems.append(f"200 without images/info: {body[:160]!r}")
        else:
            for im in doc["images"]:
                if not isinstance(im, str) or qdserve.png_size(im) is None:
                    if not (isinstance(im, str) and im[:4] in ("/9j/", "UklG")):   # jpeg / webp when samples_format says so
                        problems.append("an image in a 200 answer is not base64 PNG/JPEG/WebP")
                        break
    return problems, allowed500


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default=os.path.join(root, "build", "bin", "qdiffusion-cli"), help="qdiffusion-cli to start")
    ap.add_argument("--port", type=int, default=0, help="port for the server it starts (0: a free one)")
    ap.add_argument("--url", help="fuzz a server already running at this loopback URL instead")
    ap.add_argument("--auth", default="fuzz:fuzz-secret-1", help="user:pass (given to the server it starts); '' for none")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None, help="random seed (printed; default: from the clock)")
    scale = max(1.0, float(os.environ.get("QD_TEST_TIMEOUT_SCALE") or 1))  # scripts/sanitize.sh sets it
    ap.add_argument("--timeout", type=float, default=60.0 * scale, help="per request")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="whole run bound")
    ap.add_argument("--serve-arg", action="append", default=[], help="passed to serve (repeatable)")
    ap.add_argument("--caps", default="--max-width 512 --max-height 512 --max-steps 20 --max-batch-size 2 --max-n-iter 2",
                    help="serve's caps for the server it starts, a second bound on what one request can cost ('' for its defaults)")
    ap.add_argument("--artifacts", help="write each finding's request there (for replay)")
    ap.add_argument("--verbose", action="store_true", help="one line per request")
    ap.add_argument("--big-body-mib", type=int, default=80, help="one request this large (0: none); expects 413")
    a = ap.parse_args()
    qdserve.exit_on_sigterm()
    a.count = min(a.count, 100000)
    seed = a.seed if a.seed is not None else int(time.time()) % 100000
    rng = random.Random(seed)

    server = None
    if a.url:
        from urllib.parse import urlsplit
        u = urlsplit(a.url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            print("fuzz-api: loopback servers only")
            return 2
        host, port = "127.0.0.1" if u.hostname == "localhost" else u.hostname, u.port or 80
    else:
        extra = (["--api-auth", a.auth] if a.auth else []) + a.caps.split() + a.serve_arg
        server = qdserve.Server(a.server, port=a.port or None, extra_args=extra, name="serve")
        try:
            server.start()
        except (OSError, RuntimeError) as e:
            print(f"fuzz-api: cannot start the server: {e}")
            return 2
        host, port = "127.0.0.1", server.port
    print(f"fuzz-api: {a.count} requests to http://{host}:{port}, seed {seed}, auth {'on' if a.auth else 'off'}"
          + (f", server pid {server.proc.pid}" if server else ""))
    fz = Fuzzer(rng, a.auth)
    by_status, by_cat, findings = {}, {}, []
    allowed500 = 0
    t0 = time.monotonic()
    consecutive_timeouts = 0
    sent = 0
    rss0 = server.rss_kib() if server else None

    def record(n, cat, method, path, headers, body, what):
        findings.append((n, cat, method, path, what))
        if a.artifacts:
            os.makedirs(a.artifacts, exist_ok=True)
            with open(os.path.join(a.artifacts, f"finding-{n:05d}.json"), "w") as f:
                json.dump({"seed": seed, "n": n, "category": cat, "method": method, "path": path, "headers": headers,
                           "body_b64": base64.b64encode(body or b"").decode(), "finding": what}, f, indent=1)

    try:
        for n in range(a.count):
            if time.monotonic() - t0 > a.max_seconds:
                print(f"fuzz-api: --max-seconds reached after {n} requests")
                break
            cat, method, path, headers, body = fz.next()
            sent += 1
            if a.verbose:
                print(f"#{n} {cat} {method} {(path or '')[:60]} {len(body or b'')} bytes", flush=True)
            try:
                if cat == "raw":
                    status, ctype, rbody = send_raw(host, port, body, a.timeout), "", b""
                    status = status or 0   # 0: closed without an answer, fine for garbage
                else:
                    status, ctype, rbody = send(host, port, method, path, headers, body, a.timeout)
                consecutive_timeouts = 0
            except socket.timeout:
                consecutive_timeouts += 1
                record(n, cat, method, path, headers, body, f"no answer within {a.timeout:.0f} s")
                by_status["timeout"] = by_status.get("timeout", 0) + 1
                if consecutive_timeouts >= 3:
                    print("fuzz-api: 3 timeouts in a row: the server hangs; stopping")
                    break
                continue
            except (OSError, http.client.HTTPException, ValueError) as e:
                if server and not server.alive():
                    record(n, cat, method, path, headers, body, f"the server died ({e!r})")
                    print(f"fuzz-api: the server died at request {n} ({cat} {method} {path})")
                    break
                record(n, cat, method, path, headers, body, f"no well-formed HTTP answer: {e!r}")
                by_status["broken"] = by_status.get("broken", 0) + 1
                continue
            key = str(status)
            by_status[key] = by_status.get(key, 0) + 1
            by_cat.setdefault(cat, {})[key] = by_cat.setdefault(cat, {}).get(key, 0) + 1
            if cat != "raw":
                problems, ok500 = check(cat, method, path, status, ctype, rbody, a.auth)
                allowed500 += ok500
                for p in problems:
                    record(n, cat, method, path, headers, body, p)
            elif status >= 500:
                record(n, cat, method, path, headers, body, f"status {status} to a malformed HTTP request")
            if server and n % 100 == 99 and not server.alive():
                record(n, cat, method, path, headers, body, "the server died")
                break
        if a.big_body_mib and (not server or server.alive()):
            big = b'{"prompt": "' + b"a" * (a.big_body_mib << 20) + b'"}'
            try:
                st, _, _ = send(host, port, "POST", "/sdapi/v1/txt2img",
                                dict(fz.auth_headers(), **{"Content-Type": "application/json"}), big, a.timeout)
                by_status[str(st)] = by_status.get(str(st), 0) + 1
                print(f"{a.big_body_mib} MiB body: {st}")
                if st != 413:
                    record(-1, "bigbody", "POST", "/sdapi/v1/txt2img", {}, b"", f"{a.big_body_mib} MiB body answered {st}, not 413")
            except (OSError, http.client.HTTPException) as e:
                print(f"{a.big_body_mib} MiB body: connection closed while sending ({e.__class__.__name__})")
        alive = (server.alive() if server else True)
        try:
            ping = send(host, port, "GET", "/internal/ping", {}, None, 10)[0]
        except (OSError, http.client.HTTPException) as e:
            ping = repr(e)
        if not alive or ping != 200:
            findings.append((-1, "end", "GET", "/internal/ping", f"at the end: process alive {alive}, ping {ping}"))
        wall = time.monotonic() - t0
        print(f"{sent} requests in {wall:.1f} s ({sent / wall:.1f}/s); server alive: {alive}, /internal/ping: {ping}")
        if server:
            r1 = server.rss_kib()
            print(f"server RSS: {rss0 and rss0 // 1024} MiB at start, {r1 and r1 // 1024} MiB at the end")
        print("by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))
        for cat in sorted(by_cat):
            print(f"  {cat:10s} " + ", ".join(f"{k}: {v}" for k, v in sorted(by_cat[cat].items())))
        if allowed500:
            print(f"500s where A1111 also answers 500 (bad image, options): {allowed500}")
    finally:
        if server:
            rc = server.stop()
            print(f"server stopped (exit status {rc})")
            log = server.log_text()
            server.cleanup()
    if findings:
        print(f"fuzz-api: {len(findings)} findings (replay with --seed {seed}):")
        for n, cat, method, path, what in findings[:40]:
            print(f"  #{n} {cat} {method} {(path or '')[:80]}: {what[:300]}")
        if server:
            print("server log tail:\n" + log[-1500:])
        return 1
    print("fuzz-api: OK, no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
