#!/usr/bin/env bash
# Installs every Debian 12 package QDiffusion needs to build, test and run.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # the format_check test: the tree is formatted with Debian 12's clang-format 14 (.clang-format)
  clang-format
  # inference: LibTorch 1.13 (CPU). LibTorch uses the system BLAS; without OpenBLAS it falls back to
  # the reference BLAS, ~27x slower on matrix products.
  libtorch-dev libopenblas0-pthread
  # Qt 6: Widgets, Sql (SQLite driver), Concurrent, Test, HttpServer (+ WebSockets, a hidden need of
  # qt6-httpserver-dev), linguist tools for translations
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-httpserver-dev qt6-websockets-dev
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libgl-dev
  # Qt's WebP (and TIFF, ...) image plugins: saving and thumbnailing WebP images
  qt6-image-formats-plugins
  # images, configs, metadata, archives, JSON, Unicode
  libopencv-dev libyaml-cpp-dev libcli11-dev libexiv2-dev libpng-dev libzip-dev nlohmann-json3-dev libutf8proc-dev zlib1g-dev
  # SHA-256 in the engine (LoRA hashes as AUTOMATIC1111 writes them)
  libssl-dev
  # headless GUI runs and screenshots; CJK fonts for the Chinese UI; Qt's own strings (OK, Cancel,
  # file dialogs) in Chinese
  xvfb xauth fonts-noto-cjk qt6-translations-l10n
  # the API server's randomized request test (tests/load/fuzz-api.py, standard library only)
  python3
  # the package test (tests/package/test-deb.sh): lintian, and the desktop entry / AppStream validators
  lintian desktop-file-utils appstream
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
