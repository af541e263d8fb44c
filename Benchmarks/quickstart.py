"""The fresh-machine quickstart, timed: `genai quickstart` (what plain `genai` runs) with no datasets
and no OpenBLAS in reach, once per kernel path this CPU has (GENAI_CPU), as a new user meets it.

    python3 Benchmarks/quickstart.py [--genai PATH] [--paths avx512,avx2,portable] [--steps N]

Prints the machine, then per path the wall time (build excluded), the training rate and the sample
grid written. The README's first command must finish in five minutes on two cores, old AVX2-only
machines included: the avx2 row here is this machine running that code path (a real Zen 1 or
Haswell is slower per core than a Zen 4 running it), so read it with the CPU in the header.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def supported_paths(genai):
    out = subprocess.run([genai, "info"], capture_output=True, text=True).stdout
    m = re.search(r"this CPU supports: ([a-z0-9, ]+)", out)
    return [p.strip() for p in m.group(1).split(",")] if m else ["portable"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--genai", help="the genai binary (default: build .build-bench in release)")
    p.add_argument("--paths", help="comma-separated kernel paths (default: every one this CPU supports)")
    p.add_argument("--steps", type=int, help="quickstart steps (default: the quickstart's own)")
    args = p.parse_args()
    genai = os.path.abspath(args.genai) if args.genai else None
    if not genai:
        scratch = os.path.join(REPO, ".build-bench")
        cmd = ["swift", "build", "-c", "release", "--scratch-path", scratch, "--product", "genai"]
        subprocess.run(cmd, cwd=REPO, check=True, stdout=sys.stderr)
        genai = os.path.join(scratch, "release", "genai")
    paths = args.paths.split(",") if args.paths else list(reversed(supported_paths(genai)))
    print(f"quickstart on {cpu_model()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'path':10s} {'wall':>8s} {'steps/s':>8s}  samples")
    for path in paths:
        work = tempfile.mkdtemp(prefix="genai-quickstart-")
        empty = os.path.join(work, "no-data")
        os.makedirs(empty)
        env = dict(os.environ, GENAI_CPU=path, GENAI_DATA=empty)
        env.pop("GENAI_BLAS", None)
        cmd = [genai, "quickstart", "--plain", "--data-dir", empty, "--out", os.path.join(work, "run")]
        if args.steps:
            cmd += ["--steps", str(args.steps)]
        t0 = time.time()
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        wall = time.time() - t0
        rates = re.findall(r"([0-9.]+) steps/s", proc.stdout)
        grid = re.search(r"sample grid\s+(\S+)", proc.stdout)
        status = grid.group(1) if grid and proc.returncode == 0 else f"failed ({proc.returncode}): {proc.stderr[-300:]}"
        print(f"{path:10s} {wall / 60:6.2f} m {rates[-1] if rates else '-':>8s}  {status}")
        if proc.returncode == 0:
            keep = os.path.join(REPO, ".build-bench", f"quickstart-{path}.png")
            os.makedirs(os.path.dirname(keep), exist_ok=True)
            if grid:
                shutil.copy(grid.group(1), keep)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
