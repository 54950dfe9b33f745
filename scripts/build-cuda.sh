#!/bin/bash
# Builds the whole studio (GUI, CLI and its HTTP server) against an upstream CUDA LibTorch and
# Debian's Qt in build-cuda/, then packs a tarball that carries that LibTorch (and the CUDA runtime it
# ships) in lib/ beside bin/; the executables find it through an $ORIGIN-relative rpath
# (QD_BUNDLE_TORCH in installer/CMakeLists.txt). docs/packaging.md has the whole recipe.
#
# Usage (repository root, Debian 12 after scripts/install-deps.sh, with a CUDA toolkit of the same
# major version as LibTorch's for its CMake files):
#   scripts/build-cuda.sh LIBTORCH_DIR [extra cmake arguments, e.g. -DTORCH_CUDA_ARCH_LIST=8.9]
# LIBTORCH_DIR is the unpacked libtorch-cxx11-abi-shared-with-deps-*+cuXXX.zip from pytorch.org
# (it has lib/, include/ and share/cmake/Torch).
set -euo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 LIBTORCH_DIR [extra cmake arguments]" >&2
    exit 2
fi
LIBTORCH=$(realpath "$1")
shift
TORCH_CMAKE=$LIBTORCH/share/cmake/Torch
BUILD=build-cuda
cd "$(dirname "$0")/.."

[ -f "$TORCH_CMAKE/TorchConfig.cmake" ] || {
    echo "error: $TORCH_CMAKE/TorchConfig.cmake not found: LIBTORCH_DIR is the unpacked libtorch folder" >&2
    exit 2
}
# Debian's Qt is built with the C++11 ABI; a pre-cxx11 LibTorch cannot link with it.
if grep -q '_GLIBCXX_USE_CXX11_ABI=0' "$TORCH_CMAKE/TorchConfig.cmake"; then
    echo "error: $LIBTORCH is a pre-cxx11 ABI LibTorch; download the cxx11 ABI one" >&2
    exit 2
fi
ls "$LIBTORCH"/lib/libtorch_cuda.so >/dev/null 2>&1 \
    || echo "warning: $LIBTORCH/lib has no libtorch_cuda.so: this LibTorch runs on the CPU only" >&2

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "== configure $BUILD (LibTorch from $LIBTORCH)"
cmake -S . -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$TORCH_CMAKE" \
    -DQD_BUNDLE_TORCH=ON -DQD_BUILD_TESTS=OFF "$@"
echo "== build"
cmake --build "$BUILD" -j"$(nproc)"
echo "== package (cpack -G TGZ)"
(cd "$BUILD" && cpack -G TGZ)
TARBALL=$(find "$BUILD" -maxdepth 1 -name 'qdiffusion-*.tar.gz' -newer "$BUILD/CMakeCache.txt" | head -1)
[ -n "$TARBALL" ] || {
    echo "error: cpack made no tarball in $BUILD" >&2
    exit 1
}

echo "== check the tarball where it is unpacked, without LD_LIBRARY_PATH"
CHECK=$(mktemp -d)
trap 'rm -rf "$CHECK"' EXIT
tar -xzf "$TARBALL" -C "$CHECK"
ROOT=$(find "$CHECK" -mindepth 1 -maxdepth 1 -type d | head -1)
readelf -d "$ROOT/bin/qdiffusion-cli" | grep -E 'RUNPATH|RPATH'
env -u LD_LIBRARY_PATH "$ROOT/bin/qdiffusion-cli" version
env -u LD_LIBRARY_PATH QT_QPA_PLATFORM=offscreen "$ROOT/bin/qdiffusion" --version
# what the target machine needs from Debian: the packages of the libraries not in the tarball's lib/
owner() { # a library path -> its Debian package (with or without /usr merged)
    dpkg -S "$1" 2>/dev/null || dpkg -S "$(realpath "$1")" 2>/dev/null || dpkg -S "/usr$1" 2>/dev/null || true
}
packages=""
for lib in $(env -u LD_LIBRARY_PATH ldd "$ROOT/bin/qdiffusion" "$ROOT/bin/qdiffusion-cli" \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
    case $lib in "$ROOT"/*) continue ;; esac
    packages+="$(owner "$lib" | cut -d: -f1 | head -1) "
done
packages=$(tr ' ' '\n' <<<"$packages" | sed '/^$/d' | sort -u | tr '\n' ' ')
echo
echo "Built $TARBALL ($(du -h "$TARBALL" | cut -f1))."
echo "On the target machine (Debian 12, NVIDIA driver installed):"
echo "  sudo apt-get install ${packages}libqt6sql6-sqlite qt6-image-formats-plugins fonts-noto-cjk"
echo "  tar -xzf $(basename "$TARBALL") && $(basename "$ROOT")/bin/qdiffusion"
