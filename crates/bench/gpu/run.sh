#!/usr/bin/env bash
# The wgpu training rows on a GPU machine (Vulkan) against PyTorch CUDA on the same
# machine, with burn as the playground ships it and with burn's fusion + autotune (run
# twice on one cubecl environment: the first run tunes, the second reads the choices
# back). Needs no network and no Rust: `cargo xtask gpu-kit` packs what it runs.
#
#   bash crates/bench/gpu/run.sh gpu-kit        # from the checkout's root
#
# Rows (JSON lines), the rendered tables and the machine's facts go to $OUT (default
# ./gpu-out); back where Rust is, `cargo xtask bench --gpu-rows gpu-out/gpu.jsonl` keeps
# the rows in crates/bench/rows/gpu.jsonl and renders BENCHMARKS.md with them. Every run is bounded by `timeout`, so the whole script stays inside about
# 9 minutes even where a run hangs (TIMEOUT_SCALE=4 for a rehearsal on a software
# adapter); a run that fails or times out is reported and the others still run.
set -uo pipefail

kit=${1:-gpu-kit}
out=${OUT:-$PWD/gpu-out}
python=${PYTHON:-python3}
rounds=${ROUNDS:-3}
mkdir -p "$out"
log() { echo "gpu-kit: $*" | tee -a "$out/run.log" >&2; }

if [[ ! -f "$kit/playground-bench-none.xz" ]]; then
    log "no $kit/playground-bench-none.xz: run \`cargo xtask gpu-kit\` where Rust is, and carry $kit"
    exit 2
fi
if [[ ! -f crates/bench/python/peer.py ]]; then
    log "run this from the checkout's root (crates/bench/python/peer.py is not here)"
    exit 2
fi
export PLAYGROUND_ROOT=$PWD

{ nvidia-smi || true; vulkaninfo --summary 2>/dev/null || true; } >"$out/machine.txt" 2>&1
if ! "$python" -c 'import numpy, torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' \
    >>"$out/machine.txt" 2>&1; then
    log "$python has no torch or numpy (this machine's PyTorch is the peer); set PYTHON"
    exit 2
fi
log "$(tail -n 1 "$out/machine.txt")"

# The peer: this machine's PyTorch and NumPy, MMEngine from the kit's wheels. The venv
# sees the packages of $python's own site directories (a .pth file), so a PyTorch that
# lives in a venv or conda environment is found as a system one is.
venv="$kit/venv"
rm -rf "$venv"
"$python" -m venv "$venv" \
    && "$python" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' \
        >"$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/_machine.pth" \
    && "$venv/bin/python" -m pip install --quiet --no-index --find-links "$kit/wheels" mmengine-lite==0.10.7 \
    || { log "installing MMEngine from $kit/wheels failed"; exit 2; }

for name in none fusion-autotune; do
    "$python" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
        "$kit/playground-bench-$name.xz" "$kit/playground-bench-$name" \
        && chmod +x "$kit/playground-bench-$name" \
        || { log "unpacking playground-bench-$name failed"; exit 2; }
done

rows="$out/gpu.jsonl"
: >"$rows"
status=0
bench() { # <seconds> <binary name> <extra args...>
    local limit=$(($1 * ${TIMEOUT_SCALE:-1})) name=$2
    shift 2
    log "playground-bench-$name run --only wgpu $* (at most ${limit} s)"
    if ! timeout "$limit" "$kit/playground-bench-$name" run --python "$venv/bin/python" \
        --rows "$rows" --rounds "$rounds" --only wgpu "$@" 2>>"$out/run.log"; then
        log "playground-bench-$name $* failed or ran past ${limit} s (see run.log)"
        status=1
    fi
}

# Mesa's cache is irrelevant on NVIDIA; the driver's own shader cache is switched off so
# a first run compiles as a machine's first run does.
export __GL_SHADER_DISK_CACHE=0
bench 150 none
export CUBECL_ENVIRONMENT="gpu-kit-$(date +%s)"
bench 240 fusion-autotune
bench 150 fusion-autotune --second-run

"$kit/playground-bench-none" report --rows "$rows" --out "$out/BENCHMARKS-gpu.md" \
    --command "bash crates/bench/gpu/run.sh (cargo xtask gpu-kit)" \
    || { log "rendering the report failed"; status=1; }
log "rows: $rows; tables: $out/BENCHMARKS-gpu.md"
exit $status
