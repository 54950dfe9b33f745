#!/bin/bash
# Packages a configured and built build folder as a .deb, installs it, runs the installed programs,
# checks that user data outlives reinstalling and removing the package, and removes the package
# again (also when a step fails). docs/packaging.md describes the package.
#
# Usage: tests/package/test-deb.sh [BUILD_DIR]        (default: build)
# Needs root or password-less sudo (dpkg -i); without either it exits 77, which CTest counts as
# skipped. It also exits 77 when a qdiffusion package is already installed: it never replaces or
# removes a package it did not install. When dpkg -i reports missing dependencies, apt-get -f
# install fetches them (set QD_TEST_DEB_NO_APT=1 to fail instead).
set -euo pipefail

BUILD=$(realpath "${1:-build}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PROMPT="a red circle on a blue background"

step() { printf '\n== %s\n' "$*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}

# ---- preconditions -------------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    skip "installing a .deb needs root or password-less sudo (sudo -n); neither is available"
fi
command -v dpkg >/dev/null || skip "no dpkg: not a Debian system"
[ -f "$BUILD/CPackConfig.cmake" ] || fail "$BUILD is not a configured build folder (no CPackConfig.cmake)"
for exe in qdiffusion qdiffusion-cli; do
    [ -x "$BUILD/bin/$exe" ] || fail "$BUILD/bin has no $exe: build first (cmake --build $BUILD)"
done
if dpkg-query -W -f '${Status}' qdiffusion 2>/dev/null | grep -q 'installed'; then
    skip "a qdiffusion package is installed already; remove it first (dpkg -r qdiffusion)"
fi
# cpack from the CMake that configured the folder
CMAKE=$(sed -n 's/^CMAKE_COMMAND:INTERNAL=//p' "$BUILD/CMakeCache.txt")
CPACK=$(dirname "$CMAKE")/cpack
[ -x "$CPACK" ] || CPACK=cpack

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qd-test-deb.XXXXXX")
INSTALLED=0
cleanup() {
    local rc=$?
    if [ "$INSTALLED" = 1 ]; then
        echo "== cleanup: purging the qdiffusion package"
        "${SUDO[@]}" dpkg -P qdiffusion >/dev/null || echo "warning: dpkg -P qdiffusion failed" >&2
    fi
    rm -rf "$WORK"
    if [ "$rc" -eq 0 ]; then echo "PASS"; else echo "FAILED (exit $rc)"; fi
}
trap cleanup EXIT

# ---- the package -----------------------------------------------------------------------------------
step "cpack -G DEB in $BUILD"
"$CPACK" -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1 \
    || { tail -40 "$WORK/cpack.log"; fail "cpack -G DEB failed"; }
DEB=$(find "$WORK/pkg" -maxdepth 1 -name 'qdiffusion_*.deb' | head -1)
[ -n "$DEB" ] || fail "cpack made no qdiffusion_*.deb (see above)"
echo "$(basename "$DEB"): $(du -h "$DEB" | cut -f1)"
dpkg-deb -f "$DEB" Package Version Section Depends Recommends
VERSION=$(dpkg-deb -f "$DEB" Version)
UPSTREAM=${VERSION%-*}

step "package contents"
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$WORK/files.txt"
expected=(
    /usr/bin/qdiffusion
    /usr/bin/qdiffusion-cli
    /usr/share/qdiffusion/bpe_simple_vocab_16e6.txt.gz
    /usr/share/qdiffusion/bpe_simple_vocab_16e6.LICENSE
    /usr/share/qdiffusion/tiny_layouts.json
    /usr/share/qdiffusion/full_size_ldm_shapes.json
    /usr/share/qdiffusion/configs/v1-inference.yaml
    /usr/share/applications/qdiffusion.desktop
    /usr/share/metainfo/io.github.qdiffusion.metainfo.xml
    /usr/share/icons/hicolor/scalable/apps/qdiffusion.svg
    /usr/share/icons/hicolor/256x256/apps/qdiffusion.png
    /usr/share/doc/qdiffusion/copyright
    /usr/share/doc/qdiffusion/changelog.Debian.gz
    /usr/share/man/man1/qdiffusion.1.gz
    /usr/share/man/man1/qdiffusion-cli.1.gz
)
for f in "$SRC"/resources/demo/*; do # the demo model, when the source tree has it
    [ -f "$f" ] && expected+=("/usr/share/qdiffusion/demo/$(basename "$f")")
done
for f in "${expected[@]}"; do
    grep -qxF "$f" "$WORK/files.txt" || fail "the package lacks $f"
done
echo "all ${#expected[@]} expected files are in the package"

if command -v lintian >/dev/null; then
    step "lintian"
    lintian --tag-display-limit 0 "$DEB" >"$WORK/lintian.txt" 2>&1 || true
    cat "$WORK/lintian.txt"
    if grep -q '^E:' "$WORK/lintian.txt"; then
        fail "lintian reports errors (E: lines above)"
    fi
    echo "lintian: no errors ($(grep -c '^W:' "$WORK/lintian.txt" || true) warnings)"
else
    step "lintian: not installed, skipped (apt-get install lintian)"
fi

step "dpkg -i $(basename "$DEB")"
INSTALLED=1
if ! "${SUDO[@]}" dpkg -i "$DEB"; then
    [ "${QD_TEST_DEB_NO_APT:-0}" = 1 ] && fail "dpkg -i failed (QD_TEST_DEB_NO_APT=1: not asking apt-get)"
    echo "dpkg -i failed; apt-get -f install fetches the missing dependencies"
    "${SUDO[@]}" apt-get install -y -f --no-remove || fail "the dependencies cannot be installed"
fi
dpkg-query -W -f '${Status}\n' qdiffusion | grep -q 'install ok installed' || fail "qdiffusion is not installed"

if command -v desktop-file-validate >/dev/null; then
    step "desktop-file-validate (installed entry)"
    desktop-file-validate /usr/share/applications/qdiffusion.desktop
fi
if command -v appstreamcli >/dev/null; then
    step "appstreamcli validate --no-net (installed metainfo)"
    appstreamcli validate --no-net /usr/share/metainfo/io.github.qdiffusion.metainfo.xml
fi

# ---- the installed programs, in a fresh per-user environment --------------------------------------
export HOME="$WORK/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
unset QDIFFUSION_HOME QDIFFUSION_RESOURCES
mkdir -p "$HOME"
cd "$HOME"
OUTDIR="$HOME/Pictures/QDiffusion/cli"

step "/usr/bin/qdiffusion-cli --version"
out=$(/usr/bin/qdiffusion-cli --version)
echo "$out"
grep -qF "$UPSTREAM" <<<"$out" || fail "qdiffusion-cli --version does not say $UPSTREAM"

step "/usr/bin/qdiffusion-cli generate (demo model, 4 steps)"
/usr/bin/qdiffusion-cli generate --prompt "$PROMPT" --steps 4 --outdir "$OUTDIR"
PNG=$(find "$OUTDIR/samples" -name '*.png' | head -1)
[ -n "$PNG" ] || fail "no PNG in $OUTDIR/samples"
[ "$(head -c 8 "$PNG" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$PNG is not a PNG"
grep -qaF "$PROMPT" "$PNG" || fail "$PNG does not carry its prompt"
echo "wrote $PNG ($(stat -c %s "$PNG") bytes, parameters inside)"

step "QT_QPA_PLATFORM=offscreen /usr/bin/qdiffusion --version"
out=$(QT_QPA_PLATFORM=offscreen /usr/bin/qdiffusion --version)
echo "$out"
grep -qF "$UPSTREAM" <<<"$out" || fail "qdiffusion --version does not say $UPSTREAM"

step "the studio opened with that PNG (offscreen): it writes its settings and history database"
QT_QPA_PLATFORM=offscreen /usr/bin/qdiffusion "$PNG" >"$WORK/gui.log" 2>&1 &
GUI=$!
for _ in $(seq 120); do
    if ! kill -0 "$GUI" 2>/dev/null; then
        cat "$WORK/gui.log"
        fail "the studio exited on its own while starting"
    fi
    settings=$(find "$HOME" -name settings.yaml | head -1)
    history=$(find "$HOME" -name history.sqlite | head -1)
    [ -n "$settings" ] && [ -n "$history" ] && break
    sleep 0.5
done
sleep 2 # past the constructor: the window is up and the PNG's parameters restored
kill "$GUI" 2>/dev/null || fail "the studio exited on its own"
wait "$GUI" 2>/dev/null || true
[ -n "$settings" ] || fail "the studio wrote no settings.yaml under $HOME"
[ -n "$history" ] || fail "the studio wrote no history.sqlite under $HOME"
user_data=("$PNG" "$settings" "$history")
printf 'user data: %s\n' "${user_data[@]#"$HOME"/}"
sha256sum "${user_data[@]}" >"$WORK/user-data.sha256"

# ---- user data outlives upgrade and removal ------------------------------------------------------
step "dpkg -i again (the upgrade path: the same version over itself)"
"${SUDO[@]}" dpkg -i "$DEB" >/dev/null
sha256sum --quiet -c "$WORK/user-data.sha256" || fail "reinstalling the package changed user data"
echo "user data unchanged"

step "dpkg -r qdiffusion"
"${SUDO[@]}" dpkg -r qdiffusion
for exe in qdiffusion qdiffusion-cli; do
    [ ! -e "/usr/bin/$exe" ] || fail "/usr/bin/$exe is still there after dpkg -r"
done
sha256sum --quiet -c "$WORK/user-data.sha256" || fail "removing the package changed user data"
echo "user data unchanged after removal"

step "dpkg -P qdiffusion (purge)"
"${SUDO[@]}" dpkg -P qdiffusion
INSTALLED=0
[ ! -e /usr/share/qdiffusion ] || fail "/usr/share/qdiffusion is still there after purge"
sha256sum --quiet -c "$WORK/user-data.sha256" || fail "purging the package changed user data"
echo "user data unchanged after purge"
