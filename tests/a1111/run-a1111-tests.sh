#!/usr/bin/env bash
# Runs AUTOMATIC1111's own API tests (their repository's test/ folder, v1.10.1) with Debian's pytest
# against `qdiffusion-cli serve` on a free loopback port, then stops the server.
#
#   tests/a1111/run-a1111-tests.sh --cli build/bin/qdiffusion-cli --tests /path/to/a1111/test
#   tests/a1111/run-a1111-tests.sh --cli build/bin/qdiffusion-cli --git-mirror /path/to/a1111.git [--rev v1.10.1]
#
# Their files are AGPL-3.0: they are read from your checkout (or extracted from your git mirror into
# a temporary folder), never copied into this repository. Our side is qd_a1111_plugin.py (the
# base_url fixture, the deselection list with reasons, the HTTP exchange of each failure).
#
# Options:
#   --cli PATH            qdiffusion-cli to serve (default: build/bin/qdiffusion-cli)
#   --tests DIR           A1111's test/ folder (with test_files/)
#   --git-mirror DIR      an A1111 git repository or mirror; test/ is extracted at --rev
#   --rev REV             default v1.10.1 (commit 82a973c)
#   --serve-arg ARG       passed to `serve` (repeatable), e.g. --serve-arg --models --serve-arg DIR
#   --exchanges FILE      append failed tests' HTTP exchanges there (Markdown)
#   --make-missing-images if test_files/img2img_basic.png or mask_basic.png is absent (a text-only
#                         copy of their folder), draw stand-ins; say so wherever you report results
#   --all                 run the deselected tests too (to see how they fail)
#   --timeout S           whole pytest run bound (default 900 s)
#   -- ARGS               passed to pytest (e.g. -k txt2img -x)
# Exit status: pytest's (0 all selected tests passed), 2 for a setup problem.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=$root/build/bin/qdiffusion-cli
tests="" mirror="" rev=v1.10.1 exchanges="" make_images=0 all=0 timeout_s=900
serve_args=() pytest_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --cli) cli=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --git-mirror) mirror=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --serve-arg) serve_args+=("$2"); shift 2 ;;
    --exchanges) exchanges=$2; shift 2 ;;
    --make-missing-images) make_images=1; shift ;;
    --all) all=1; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run-a1111-tests.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "run-a1111-tests.sh: $*" >&2; exit 2; }

[ -x "$cli" ] || die "no qdiffusion-cli at $cli (build it, or pass --cli)"
[ -n "$tests" ] || [ -n "$mirror" ] || die "pass --tests DIR (A1111's test/ folder) or --git-mirror DIR"

# Debian's python, pytest, requests and Pillow (their tests import requests; conftest reads files).
py=/usr/bin/python3
if ! "$py" -c 'import pytest, requests, PIL' 2>/dev/null; then
  pkgs="python3-pytest python3-requests python3-pil"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $pkgs"
    DEBIAN_FRONTEND=noninteractive apt-get install -y $pkgs >/dev/null || die "apt-get install $pkgs failed"
  else
    die "needs Debian's $pkgs: sudo apt-get install $pkgs"
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qd-a1111.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && { echo "server ignored SIGTERM for 10 s: SIGKILL"; kill -KILL "$server_pid"; }
    wait "$server_pid" 2>/dev/null
  fi
  [ -n "${QD_KEEP_WORK:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Their test folder must be called test/ (test_face_restorers.py imports test.conftest; the
# plugin's node ids read test/...); pytest's rootdir is its parent, with an empty pytest.ini so
# that nothing above the temporary folder is read.
mkdir -p "$work/a1111"
if [ -n "$tests" ]; then
  [ -f "$tests/conftest.py" ] || die "$tests has no conftest.py: is it A1111's test/ folder?"
  cp -a "$tests" "$work/a1111/test"
else
  git -C "$mirror" archive "$rev" test | tar -x -C "$work/a1111" || die "cannot extract test/ at $rev from $mirror"
fi
printf '[pytest]\n' >"$work/a1111/pytest.ini"
for f in conftest.py test_txt2img.py test_img2img.py test_utils.py; do
  [ -f "$work/a1111/test/$f" ] || die "A1111's test folder lacks $f: is it v1.10.1?"
done
mkdir -p "$work/a1111/test/test_outputs"
for img in img2img_basic.png mask_basic.png; do
  if [ ! -f "$work/a1111/test/test_files/$img" ]; then
    [ "$make_images" = 1 ] || die "test_files/$img is missing (pass --make-missing-images to draw a stand-in)"
    echo "NOTE: test_files/$img is missing: drawing a 512x512 stand-in (results are not with A1111's own image)"
    mkdir -p "$work/a1111/test/test_files"
    "$py" - "$work/a1111/test/test_files/$img" <<'EOF'
import sys
from PIL import Image, ImageDraw
path = sys.argv[1]
if path.endswith("mask_basic.png"):
    im = Image.new("RGB", (512, 512), "black")
    ImageDraw.Draw(im).ellipse((128, 128, 384, 384), fill="white")
else:
    im = Image.new("RGB", (512, 512))
    im.putdata([(x // 2, y // 2, (x + y) // 4) for y in range(512) for x in range(512)])
im.save(path)
EOF
  fi
done

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/home" "$work/out"
echo "server: $cli serve --host 127.0.0.1 --port $port --outdir $work/out ${serve_args[*]}"
QDIFFUSION_HOME=$work/home OMP_WAIT_POLICY=PASSIVE QT_QPA_PLATFORM=offscreen \
  "$cli" serve --host 127.0.0.1 --port "$port" --outdir "$work/out" "${serve_args[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
ready="Serving the AUTOMATIC1111 API on http://127.0.0.1:$port"
for _ in $(seq 1 1200); do # 120 s: loading a real checkpoint on a CPU takes a while
  grep -qF "$ready" "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; die "the server exited before it was ready"; }
  sleep 0.1
done
grep -qF "$ready" "$work/server.log" || { tail -20 "$work/server.log"; die "no '$ready' within 120 s"; }
echo "server ready (pid $server_pid)"

opts=(-p qd_a1111_plugin -p no:cacheprovider -p no:base_url --rootdir "$work/a1111" -c "$work/a1111/pytest.ini"
      --base-url "http://127.0.0.1:$port" -v -rfE --tb=short --junitxml "$work/results.xml")
[ -n "$exchanges" ] && opts+=(--qd-exchanges "$exchanges")
[ "$all" = 1 ] && opts+=(--qd-no-deselect)
start=$(date +%s)
(cd "$work/a1111" && PYTHONPATH=$here${PYTHONPATH:+:$PYTHONPATH} PYTHONDONTWRITEBYTECODE=1 \
  timeout "$timeout_s" "$py" -m pytest "${opts[@]}" "${pytest_args[@]}" test)
rc=$?
[ "$rc" = 124 ] && echo "pytest ran past $timeout_s s and was stopped"

# One line per outcome, from the JUnit file: what to paste into a report.
"$py" - "$work/results.xml" "$(($(date +%s) - start))" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
failed = []
for case in root.iter("testcase"):
    kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
    kind = {"failure": "failed"}.get(kind, kind)
    counts[kind] += 1
    if kind in ("failed", "error"):
        failed.append(f"{case.get('classname')}::{case.get('name')}")
print("A1111 API tests: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f" in {sys.argv[2]} s")
for name in failed:
    print(f"  FAILED {name}")
EOF
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server died during the tests; its log ends:"; tail -20 "$work/server.log"; rc=1
fi
exit "$rc"
