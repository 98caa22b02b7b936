#!/usr/bin/env bash
# One prepared device benchmark of the live path (docs/gpu.md): RMI-NAS scoring, one DARTS and one NB201 supernet
# epoch, DARTS final-training steps, peak GPU memory, and the same for a few steps on the CPU for a ratio.
# Finishes in under 8 minutes on one GPU (the measurements budget themselves to --budget-s, default 420 s);
# writes gpu_check.json and gpu_check.md to $OUT (the device runner's output folder) or ./gpu_check_out.
#
#   bash benchmarks/gpu_check.sh                  # on the GPU machine
#   bash benchmarks/gpu_check.sh --tiny --out D   # seconds on a CPU (the test suite runs this)
#   bash benchmarks/gpu_check.sh --data-root data/cifar10   # real CIFAR-10 images instead of random tensors
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py="${PYTHON:-python}"
if [ -x "$root/.venv/bin/python" ] && [ -z "${PYTHON:-}" ]; then py="$root/.venv/bin/python"; fi
cd "$root"
echo "gpu_check.sh: $("$py" -c 'import torch; print("torch", torch.__version__, "| CUDA:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")')"
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true; fi
exec env PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" timeout 470 "$py" "$here/gpu_check.py" "$@"
