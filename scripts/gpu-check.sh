#!/bin/bash
# One-shot GPU check on a bare CUDA machine that has PyTorch 2.x (its C++ headers and CMake files),
# CMake and ninja but no Qt and no package registry: builds the engine-only CLI against that
# LibTorch, runs the conformance cases on the CPU and on the GPU, and times SD 1.5 and SDXL
# generations with fill-rule checkpoints of the real sizes.
#
# The few libraries the engine needs beyond LibTorch travel as Debian packages unpacked into
# .gpu/root (ignored by git):
#   mkdir -p .gpu/debs && (cd .gpu/debs && apt-get download nlohmann-json3-dev libcli11-dev \
#     libutf8proc-dev libutf8proc2 zlib1g-dev libyaml-cpp-dev libyaml-cpp0.7)
#   for f in .gpu/debs/*.deb; do dpkg -x "$f" .gpu/root; done
# Usage (repository root): scripts/gpu-check.sh [quick|preview]   -- results also go to $OUT (or
# /tmp/gpu-out). quick: build and conformance only; preview: build, then what the cheap live preview
# costs per SD 1.5 step (no conformance).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
R=$PWD/.gpu/root/usr
L=$R/lib/x86_64-linux-gnu
B=${QD_GPU_BUILD:-/tmp/qd-gpu-build}
CONF=tests/data/conformance
exec > >(tee "$OUT/gpu-check.log") 2>&1

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
TP=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
nproc

t0=$(date +%s)
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQD_ENGINE_ONLY=ON \
    -DCMAKE_PREFIX_PATH="$TP;$R" -DQD_NLOHMANN_INCLUDE="$R/include" -DQD_CLI11_INCLUDE="$R/include" \
    -DZLIB_INCLUDE_DIR="$R/include" -DZLIB_LIBRARY="$L/libz.a" -Dyaml-cpp_DIR="$L/cmake/yaml-cpp" \
    -DQD_UTF8PROC_INCLUDE="$R/include" -DQD_UTF8PROC_LIBRARY="$L/libutf8proc.a" \
    -DTORCH_CUDA_ARCH_LIST=9.0 >"$OUT/configure.log" 2>&1 \
    || { tail -60 "$OUT/configure.log"; exit 1; }
grep -E "LibTorch|CUDA" "$OUT/configure.log" | head -5
if ! cmake --build "$B" --target qdiffusion-cli -j"$(nproc)" -- -k 0 >"$OUT/build.log" 2>&1; then
    grep -E -A6 "error|Error" "$OUT/build.log" | head -200
    exit 1
fi
echo "build: $(($(date +%s) - t0)) s"
export LD_LIBRARY_PATH=$L${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
CLI=$B/bin/qdiffusion-cli
$CLI --version

if [ "${1:-}" = preview ]; then
    $CLI make-checkpoint --arch sd15 --dtype fp16 --out /tmp/sd15.safetensors >/dev/null
    for pv in none cheap none cheap; do
        $CLI bench --ckpt /tmp/sd15.safetensors --config resources/configs/v1-inference.yaml --device cuda \
            --dtype fp16 --steps 30 --runs 4 --preview $pv | grep -E "size|run [234]"
    done
    exit 0
fi

echo "== conformance, CPU (LibTorch 2.x)"
$CLI conformance --goldens $CONF/goldens.safetensors --cases $CONF/cases.json >"$OUT/conformance-cpu.txt"
tail -1 "$OUT/conformance-cpu.txt"; grep FAIL "$OUT/conformance-cpu.txt"
echo "== conformance, CUDA (float32, TF32 off)"
$CLI conformance --goldens $CONF/goldens.safetensors --cases $CONF/cases.json --device cuda >"$OUT/conformance-cuda.txt"
tail -1 "$OUT/conformance-cuda.txt"; grep FAIL "$OUT/conformance-cuda.txt"
echo "== conformance extra (LoRA, inpainting), CPU and CUDA"
for dev in cpu cuda; do
    $CLI conformance --goldens $CONF/goldens_extra.safetensors --cases $CONF/cases_extra.json --device $dev \
        >"$OUT/conformance-extra-$dev.txt"
    echo "$dev: $(tail -1 "$OUT/conformance-extra-$dev.txt")"; grep FAIL "$OUT/conformance-extra-$dev.txt"
done
awk '/^PASS|^FAIL/ { for (i = 1; i <= NF; i++) { if ($i == "latents" && $(i+1) > l) l = $(i+1); if ($i == "image" && $(i+1) > m) m = $(i+1) } }
     END { print "CUDA worst latents", l, "worst image", m }' "$OUT/conformance-cuda.txt"
echo "== random sources: GPU on CUDA against NV on the CPU (draws bit-exact, images equal)"
$CLI rng-check --device cuda | tee "$OUT/rng-check.txt"
echo "== AUTOMATIC1111 random sources and Brownian-tree noise (CPU generator and NV), on the CUDA build"
$CLI conformance --goldens $CONF/rng/philox_goldens.safetensors --cases $CONF/rng/philox_cases.json | tail -1
$CLI conformance --goldens $CONF/sde/sde_goldens.safetensors --cases $CONF/sde/sde_cases.json | tail -1
[ "${1:-}" = quick ] && exit 0

# GPU memory in use, sampled every 100 ms while the benchmarks run (the engine's C++ API has no
# portable allocator statistics on LibTorch 1.13, so read the driver's figure).
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$OUT/gpu-mem.txt" &
SMI=$!
bench() { # label, then bench arguments
    local label=$1; shift
    echo "== $label"
    local before; before=$(wc -l <"$OUT/gpu-mem.txt")
    $CLI bench "$@" | tee -a "$OUT/bench.txt"
    echo "GPU memory peak $(tail -n +$((before + 1)) "$OUT/gpu-mem.txt" | sort -n | tail -1) MiB"
}
$CLI make-checkpoint --arch sd15 --dtype fp16 --out /tmp/sd15.safetensors >/dev/null
$CLI make-checkpoint --arch sdxl --dtype fp16 --out /tmp/sdxl.safetensors >/dev/null
bench "SD 1.5 512x512, 20 Euler steps, fp16, CFG 7" --ckpt /tmp/sd15.safetensors \
    --config resources/configs/v1-inference.yaml --device cuda --dtype fp16 --steps 20 --runs 3
bench "SD 1.5 512x512, fp16, cheap live preview every step" --ckpt /tmp/sd15.safetensors \
    --config resources/configs/v1-inference.yaml --device cuda --dtype fp16 --steps 20 --runs 3 --preview cheap
bench "SD 1.5 512x512, batch 4, fp16" --ckpt /tmp/sd15.safetensors \
    --config resources/configs/v1-inference.yaml --device cuda --dtype fp16 --steps 20 --batch-size 4 --runs 2
bench "SDXL 1024x1024, 20 Euler steps, fp16, CFG 7" --ckpt /tmp/sdxl.safetensors \
    --config resources/configs/sd_xl_base.yaml --device cuda --dtype fp16 --steps 20 --W 1024 --H 1024 --runs 2
bench "SD 1.5 512x512, fp32 (TF32 as LibTorch defaults)" --ckpt /tmp/sd15.safetensors \
    --config resources/configs/v1-inference.yaml --device cuda --dtype fp32 --steps 20 --runs 2
kill $SMI
echo "total: $(($(date +%s) - t0)) s"
