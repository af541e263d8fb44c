"""Training-step throughput of our recipes against PyTorch and TensorFlow, in one run.

Runs `genai bench RECIPE` (release build) and the matching ../shared/bench script for torch and tf
with the step counts of ../shared/bench/RESULTS.md's protocol, alternating the three within each
round (the order rotates from round to round) so that noise from other work on the machine hits
all of them, and prints a table of median steps/s and the ratios ours/torch and ours/best.

    ~/.cache/bench-venv/bin/python Benchmarks/compare_recipes.py [--quick] [--rounds N]
        [--recipes dcgan,vae,char-rnn,char-gpt] [--frameworks torch,tf] [--no-build] [--json FILE]
        [--genai PATH] [--baseline PATH]

--baseline adds a second `genai` binary (e.g. a build of the previous commit) to every round, as
the column "base", so a before/after comparison sees the same machine noise.

--quick divides every step count by 5 (at least 3 timed steps, 2 warm-up). The Python side must
be the benchmark venv's python (torch and tensorflow importable); `../shared` is found beside the
repository (the repo is cloned with ../shared next to it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_BENCH = os.path.join(os.path.dirname(REPO), "shared", "bench")
SCRATCH = os.path.join(REPO, ".build-bench")

# recipe -> (reference script, {framework: timed steps}) from RESULTS.md's "Exact commands".
PROTOCOL = {
    "dcgan": ("dcgan.py", {"ours": 60, "torch": 60, "tf": 120}),
    "vae": ("vae.py", {"ours": 150, "torch": 150, "tf": 400}),
    "char-rnn": ("charlstm.py", {"ours": 20, "torch": 20, "tf": 15}),
    "char-gpt": ("gpt.py", {"ours": 400, "torch": 400, "tf": 350}),
}
WARMUP = 5
LOADS = []  # 1-minute load average at the start of every run: other work skews the figures


def build():
    cmd = ["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "genai"]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=sys.stderr)
    out = subprocess.run(cmd + ["--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True)
    return os.path.join(out.stdout.strip(), "genai")


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in output:\n" + text[-2000:])


def run_one(genai, recipe, framework, steps, warmup, threads):
    if framework in ("ours", "base"):
        cmd = [genai[framework], "bench", recipe, "--steps", str(steps), "--warmup", str(warmup), "--threads", str(threads)]
        cwd = REPO
    else:
        script = PROTOCOL[recipe][0]
        cmd = [sys.executable, script, "--framework", framework, "--steps", str(steps), "--warmup", str(warmup),
               "--threads", str(threads)]
        cwd = SHARED_BENCH
    t0 = time.time()
    LOADS.append(os.getloadavg()[0])
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  {recipe}/{framework} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    rec = last_json_line(proc.stdout)
    print(f"  {recipe:9s} {framework:6s} {rec['steps_per_s']:8.3f} steps/s  ({time.time() - t0:.0f} s wall)",
          file=sys.stderr)
    return rec["steps_per_s"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a fifth of the protocol's steps")
    p.add_argument("--rounds", type=int, default=2, help="rounds of (ours, torch, tf) per recipe; medians reported")
    p.add_argument("--recipes", default=",".join(PROTOCOL), help="comma-separated subset of " + ",".join(PROTOCOL))
    p.add_argument("--frameworks", default="torch,tf", help="reference frameworks (torch, tf, jax)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-build", action="store_true", help="use the existing release build in .build-bench")
    p.add_argument("--json", help="also write every measurement to this file")
    p.add_argument("--genai", help="the genai binary to time (default: build .build-bench in release)")
    p.add_argument("--baseline", help="a second genai binary timed in the same rounds (column 'base')")
    args = p.parse_args()

    recipes = [r for r in args.recipes.split(",") if r]
    for r in recipes:
        if r not in PROTOCOL:
            p.error(f"unknown recipe {r!r}; valid: {', '.join(PROTOCOL)}")
    frameworks = [f for f in args.frameworks.split(",") if f]
    if not os.path.isdir(SHARED_BENCH):
        p.error(f"{SHARED_BENCH} not found (../shared must sit beside the repository)")

    if args.genai:
        genai = {"ours": os.path.abspath(args.genai)}
    elif args.no_build:
        genai = {"ours": os.path.join(SCRATCH, "release", "genai")}
    else:
        genai = {"ours": build()}
    systems = ["ours"] + frameworks
    if args.baseline:
        genai["base"] = os.path.abspath(args.baseline)
        systems = ["base"] + systems
    results = {r: {s: [] for s in systems} for r in recipes}
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds}", file=sys.stderr)
        for r in recipes:
            order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
            for s in order:
                steps = PROTOCOL[r][1].get(s, PROTOCOL[r][1]["ours"])
                warmup = WARMUP
                if args.quick:
                    steps, warmup = max(3, steps // 5), 2
                v = run_one(genai, r, s, steps, warmup, args.threads)
                if v is not None:
                    results[r][s].append(v)

    def med(xs):
        return statistics.median(xs) if xs else None

    def fmt(x, d=2):
        return f"{x:.{d}f}" if x is not None else "-"

    base = ["base"] if args.baseline else []
    header = ["recipe"] + base + ["ours"] + frameworks + ["ours/base" if base else None,
                                                        "ours/torch" if "torch" in frameworks else None,
                                                        "ours/tf" if "tf" in frameworks else None, "ours/best"]
    header = [h for h in header if h]
    rows = []
    for r in recipes:
        m = {s: med(results[r][s]) for s in systems}
        refs = [m[f] for f in frameworks if m[f] is not None]
        best = max(refs) if refs else None
        def ratio(a, b):
            return fmt(a / b if a and b else None)
        row = [r] + [fmt(m[s]) for s in base] + [fmt(m["ours"])] + [fmt(m[f]) for f in frameworks]
        if base:
            row.append(ratio(m["ours"], m["base"]))
        for f in ("torch", "tf"):
            if f in frameworks:
                row.append(ratio(m["ours"], m[f]))
        row.append(ratio(m["ours"], best))
        rows.append(row)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("steps/s, median of %d round(s)%s, %d threads" % (args.rounds, " (--quick)" if args.quick else "", args.threads))
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if LOADS:
        print("1-min load average at run starts: %.1f-%.1f (2 cores; above ~0.5 other work competes, and torch's "
              "OpenMP threads degrade far more than the others under contention)" % (min(LOADS), max(LOADS)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"quick": args.quick, "rounds": args.rounds, "results": results, "loads": LOADS}, f, indent=1)


if __name__ == "__main__":
    main()
