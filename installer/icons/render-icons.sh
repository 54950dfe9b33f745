#!/bin/bash
# Renders the hicolor PNG icons from installer/icons/qdiffusion.svg (needs rsvg-convert, Debian's
# librsvg2-bin). Run it after changing the SVG and commit the PNGs: the build does not render them.
set -euo pipefail
cd "$(dirname "$0")"
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "hicolor/${size}x${size}/apps"
    rsvg-convert -w "$size" -h "$size" qdiffusion.svg -o "hicolor/${size}x${size}/apps/qdiffusion.png"
done
