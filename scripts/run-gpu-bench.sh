#!/bin/sh
# NCA Lab's GPU benchmarks on a linux-x64 machine without Node (built by `npm run gpu:pack`, scripts/gpu-pack.mjs).
#
#   ./run-gpu-bench.sh [--out DIR] [bench gpu flags: --quick, --workers N, --max-seconds S]
#
# Unpacks Node, the lab and Dawn into a temporary folder, points the Vulkan loader shipped here at this machine's
# GPU driver (VK_ICD_FILENAMES when set; else NVIDIA's nvidia_icd.json, else the only driver file, in
# /usr/share/vulkan/icd.d and /etc/vulkan/icd.d), runs `nca-lab info` and `nca-lab bench gpu`, and writes
# info.txt, bench-gpu.txt (tables) and bench-gpu.jsonl (one JSON row per case) to DIR, else $OUT, else ./results.
# Needs xz and tar, or python3 in their place.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${OUT:-$PWD/results}
if [ "${1:-}" = "--out" ]; then
  [ $# -ge 2 ] || { echo "run-gpu-bench.sh: --out needs a folder" >&2; exit 2; }
  DEST=$2
  shift 2
fi
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nca-lab-gpu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# unpack: xz and tar where they exist, else python3's lzma and tarfile
if command -v xz >/dev/null 2>&1 && command -v tar >/dev/null 2>&1; then
  xz -dc "$HERE/node.xz" > "$WORK/node"
  xz -dc "$HERE/lab.tar.xz" | tar -x -C "$WORK"
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$HERE" "$WORK" <<'PY'
import lzma, shutil, sys, tarfile
here, work = sys.argv[1], sys.argv[2]
with lzma.open(f"{here}/node.xz") as src, open(f"{work}/node", "wb") as dst:
    shutil.copyfileobj(src, dst)
with tarfile.open(f"{here}/lab.tar.xz") as t:
    t.extractall(work)
PY
else
  echo "run-gpu-bench.sh: needs xz and tar (or python3) to unpack" >&2
  exit 1
fi
chmod +x "$WORK/node"

# the GPU driver the loader should use
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  ICD=""
  for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    for f in "$dir"/nvidia_icd*.json; do
      [ -f "$f" ] && { ICD=$f; break 2; }
    done
  done
  if [ -z "$ICD" ]; then
    FOUND=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null || true)
    if [ "$(printf '%s\n' "$FOUND" | grep -c .)" = 1 ]; then
      ICD=$FOUND
    else
      echo "run-gpu-bench.sh: no NVIDIA Vulkan driver file (nvidia_icd.json) in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d${FOUND:+; found: $(echo $FOUND)}." >&2
      echo "  Install the NVIDIA driver's Vulkan part (in a container: NVIDIA_DRIVER_CAPABILITIES must include graphics, or all)," >&2
      echo "  or set VK_ICD_FILENAMES to the driver file to use." >&2
      exit 1
    fi
  fi
  VK_ICD_FILENAMES=$ICD
  export VK_ICD_FILENAMES
fi
echo "run-gpu-bench.sh: Vulkan driver ${VK_ICD_FILENAMES:-$VK_DRIVER_FILES}; results in $DEST" >&2

LD_LIBRARY_PATH="$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
CLI="$WORK/app/out/main/cli.js"

"$WORK/node" "$CLI" info --workspace "$WORK/workspace" > "$DEST/info.txt"
cat "$DEST/info.txt"
set +e
"$WORK/node" "$CLI" bench gpu "$@" > "$WORK/bench.out"
STATUS=$?
set -e
grep '^{' "$WORK/bench.out" > "$DEST/bench-gpu.jsonl" || true
grep -v '^{' "$WORK/bench.out" > "$DEST/bench-gpu.txt" || true
cat "$DEST/bench-gpu.txt"
exit $STATUS
