#!/usr/bin/env python3
"""Image quality per step and per CPU minute: genai's `dcgan` and `dcgan-plus` against the plain
Keras DCGAN of ../shared/bench/dcgan.py, all on the real Fashion-MNIST, all scored the same way.

For each seed:
  keras        Benchmarks/keras_dcgan.py: 5 epochs (4,685 steps of 64), samples at 1 and 5 epochs
  dcgan        genai train dcgan, the same steps, checkpoints at 1 and 5 epochs
  dcgan-plus   genai train dcgan-plus for the Keras run's 5-epoch training seconds (--minutes)
  extra runs   --variant NAME=FLAGS adds a genai run at equal steps (e.g. an ablation:
               --variant ema='dcgan --improvements ema')
Every model's --samples images (default 5,000) are written as PNGs, and `genai eval --images`
scores each folder with genai's feature network (FID, KID, IS, precision, recall, coverage,
class entropy) against 5,000 training images, beside the same metrics of 5,000 real test
images. Results go to WORK/results.json and a Markdown table on stdout.

Jobs run one thread each, two at a time pinned to cores 0 and 1 (`taskset`), so every job has
the same neighbour: a busy core. Finished jobs are not rerun (delete their folders to redo them).

    ~/.cache/bench-venv/bin/python Benchmarks/dcgan_quality.py --genai .build/release/genai \
        --data ../shared/data --work /tmp/quality --seeds 0,1
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PER_EPOCH = 937  # 60,000 images in batches of 64, the last partial batch dropped


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--genai", required=True, help="the genai executable (a release build)")
    p.add_argument("--data", required=True, help="the data folder holding fashion-mnist/")
    p.add_argument("--work", required=True, help="folder for runs, samples and results")
    p.add_argument("--seeds", default="0", help="seeds, comma-separated")
    p.add_argument("--epochs", default="1,5", help="epochs at which equal-step scores are taken; the last is the budget")
    p.add_argument("--samples", type=int, default=5000, help="images per model scored")
    p.add_argument("--steps-per-epoch", type=int, default=PER_EPOCH,
                   help="steps counted as an epoch (937 = 60,000 / 64; smaller for a quick check of the script)")
    p.add_argument("--python", default=sys.executable, help="a Python with TensorFlow/Keras for the reference")
    p.add_argument("--variant", action="append", default=[], metavar="NAME=ARGS",
                   help="an extra genai run at equal steps: NAME=recipe and flags, e.g. ema='dcgan --improvements ema'")
    p.add_argument("--skip", default="", help="jobs to leave out: keras, dcgan, dcgan-plus (comma-separated)")
    p.add_argument("--cores", default="0,1", help="cores to pin jobs to; one job per core at a time")
    return p.parse_args()


def run(cmd, log, core):
    """Starts `cmd` pinned to `core`, output to `log`; returns the Popen."""
    env = dict(os.environ, GENAI_THREADS="1", OMP_NUM_THREADS="1")
    with open(log, "w") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    return subprocess.Popen(["taskset", "-c", str(core)] + cmd, stdout=open(log, "a"), stderr=subprocess.STDOUT, env=env)


def run_all(jobs, cores):
    """Runs (name, cmd, log, done?) jobs, one per core at a time."""
    pending = [j for j in jobs if not j[3]()]
    running = {}
    while pending or running:
        for core in cores:
            if core not in running and pending:
                name, cmd, log, _ = pending.pop(0)
                print(f"[{time.strftime('%H:%M:%S')}] start {name} on core {core}", file=sys.stderr, flush=True)
                running[core] = (name, run(cmd, log, core), log)
        time.sleep(2)
        for core, (name, proc, log) in list(running.items()):
            if proc.poll() is not None:
                del running[core]
                print(f"[{time.strftime('%H:%M:%S')}] end {name}: exit {proc.returncode}", file=sys.stderr, flush=True)
                if proc.returncode != 0:
                    sys.exit(f"{name} failed; see {log}")


def keras_record(folder, step):
    path = os.path.join(folder, "keras.jsonl")
    if not os.path.exists(path):
        return None
    for line in open(path):
        if line.startswith("{"):
            r = json.loads(line)
            if r["step"] == step:
                return r
    return None


def genai_samples(args, checkpoint, out):
    """Writes --samples PNGs of `checkpoint` into `out` (skipped when already there)."""
    if os.path.isdir(out) and len(os.listdir(out)) >= args.samples:
        return
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([args.genai, "sample", checkpoint, "--count", str(args.samples), "--separate", "--out", out, "--seed", "7"],
                   check=True, stdout=subprocess.DEVNULL)


def score(args, folder, classifier):
    cache = folder.rstrip("/") + ".eval.json"
    if not os.path.exists(cache):
        out = subprocess.run([args.genai, "eval", "--images", folder, "--data", "fashion-mnist", "--data-dir", args.data,
                              "--classifier", classifier, "--json"], check=True, capture_output=True, text=True).stdout
        with open(cache, "w") as f:
            f.write(out)
    report = json.load(open(cache))
    metrics = {m["name"]: m for m in report["metrics"]}
    return {name: metrics[name]["value"] for name in metrics}, {name: metrics[name].get("ceiling") for name in metrics}


def checkpoint(run_dir, step):
    return os.path.join(run_dir, "checkpoints", f"step-{step:06d}.safetensors")


def main():
    args = parse_args()
    args.genai = os.path.abspath(args.genai)
    args.data = os.path.abspath(args.data)
    os.makedirs(args.work, exist_ok=True)
    work = os.path.abspath(args.work)
    cores = [int(c) for c in args.cores.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    milestones = [int(e) * args.steps_per_epoch for e in args.epochs.split(",")]
    budget = milestones[-1]
    skip = set(filter(None, args.skip.split(",")))
    variants = [v.split("=", 1) for v in args.variant]

    classifier = os.path.join(work, "runs", "classifier-fashion-mnist")
    if not os.path.isdir(os.path.join(classifier, "checkpoints")):
        subprocess.run([args.genai, "train", "classifier", "--data", "fashion-mnist", "--data-dir", args.data,
                        "--out", classifier, "--plain", "--log-every", "200"], check=True)

    common = ["--data", "fashion-mnist", "--data-dir", args.data, "--sample-every", "0", "--eval-every", "0",
              "--plain", "--log-every", "100"]
    jobs = []
    for seed in seeds:
        kdir = os.path.join(work, f"keras-s{seed}")
        if "keras" not in skip:
            jobs.append((f"keras seed {seed}", [args.python, os.path.join(HERE, "keras_dcgan.py"), "--data",
                         os.path.join(args.data, "fashion-mnist"), "--out", kdir, "--snapshots", ",".join(map(str, milestones)),
                         "--samples", str(args.samples), "--threads", "1", "--seed", str(seed)],
                         os.path.join(work, f"keras-s{seed}.log"), lambda kdir=kdir: keras_record(kdir, budget) is not None))
        runs = [] if "dcgan" in skip else [("dcgan", ["dcgan"])]
        runs += [(name, shlex.split(flags)) for name, flags in variants]
        for name, recipe_args in runs:
            rdir = os.path.join(work, f"{name}-s{seed}")
            jobs.append((f"{name} seed {seed}", [args.genai, "train"] + recipe_args + common + [
                "--steps", str(budget), "--seed", str(seed), "--checkpoint-every", str(args.steps_per_epoch), "--keep-checkpoints", "20",
                "--out", rdir], os.path.join(work, f"{name}-s{seed}.log"),
                lambda rdir=rdir: os.path.exists(checkpoint(rdir, budget))))
    # Keras's jobs write their own log lines; keras_dcgan.py prints its JSON records to stdout, kept per seed.
    for name, cmd, log, done in jobs:
        if cmd[1].endswith("keras_dcgan.py"):
            kdir = cmd[cmd.index("--out") + 1]
            os.makedirs(kdir, exist_ok=True)
            cmd[:] = ["sh", "-c", " ".join(shlex.quote(c) for c in cmd) + " > " + shlex.quote(os.path.join(kdir, "keras.jsonl"))]
    run_all(jobs, cores)

    # dcgan-plus for each Keras run's training seconds at the budget.
    plus_jobs = []
    for seed in seeds:
        record = keras_record(os.path.join(work, f"keras-s{seed}"), budget)
        if "dcgan-plus" in skip or record is None:
            continue
        rdir = os.path.join(work, f"dcgan-plus-s{seed}")
        plus_jobs.append((f"dcgan-plus seed {seed}", [args.genai, "train", "dcgan-plus"] + common + [
            "--steps", "1000000", "--minutes", f"{record['train_seconds'] / 60:.4f}", "--seed", str(seed),
            "--checkpoint-every", "0", "--out", rdir], os.path.join(work, f"dcgan-plus-s{seed}.log"),
            lambda rdir=rdir: os.path.isdir(os.path.join(rdir, "checkpoints")) and any(
                f.endswith(".safetensors") for f in os.listdir(os.path.join(rdir, "checkpoints")))))
    run_all(plus_jobs, cores)

    results = []
    for seed in seeds:
        kdir = os.path.join(work, f"keras-s{seed}")
        for step in milestones:
            record = keras_record(kdir, step)
            if record:
                values, ceilings = score(args, os.path.join(kdir, f"step-{step}"), classifier)
                results.append(dict(model="keras", seed=seed, step=step, seconds=record["train_seconds"], **values))
        names = ([] if "dcgan" in skip else ["dcgan"]) + [name for name, _ in variants]
        for name in names:
            rdir = os.path.join(work, f"{name}-s{seed}")
            for step in milestones:
                if os.path.exists(checkpoint(rdir, step)):
                    out = os.path.join(rdir, f"samples-step-{step}")
                    genai_samples(args, checkpoint(rdir, step), out)
                    values, ceilings = score(args, out, classifier)
                    results.append(dict(model=name, seed=seed, step=step, seconds=train_seconds(rdir, step), **values))
        rdir = os.path.join(work, f"dcgan-plus-s{seed}")
        if os.path.isdir(os.path.join(rdir, "checkpoints")):
            final = sorted(f for f in os.listdir(os.path.join(rdir, "checkpoints")) if f.startswith("step-"))[-1]
            step = int(final[5:11])
            out = os.path.join(rdir, f"samples-step-{step}")
            genai_samples(args, os.path.join(rdir, "checkpoints", final), out)
            values, ceilings = score(args, out, classifier)
            results.append(dict(model="dcgan-plus", seed=seed, step=step, seconds=train_seconds(rdir, step), **values))
    real = dict(model="real test images", seed="-", step="-", seconds=None, **{k: v for k, v in ceilings.items() if v is not None})
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"results": results, "real": real, "cpu": cpu_name(), "samples": args.samples}, f, indent=1)
    print(table(results + [real]))


def train_seconds(run_dir, step):
    """Training seconds up to `step` from the run's metrics log: the sum over log intervals of
    steps / steps_per_s (evaluation and sampling are off in these runs)."""
    seconds, last = 0.0, 0
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        r = json.loads(line)
        if r.get("kind", "train") != "train" or r.get("steps_per_s", 0) <= 0 or r["step"] <= last:
            continue
        # The interval ending at this line ran at its logged rate; count the part up to `step`.
        end = min(r["step"], step)
        seconds += (end - last) / r["steps_per_s"]
        last = end
        if last >= step:
            break
    return round(seconds, 1)


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def table(rows):
    cols = ["model", "seed", "step", "seconds", "fid", "kid", "is", "precision", "recall", "coverage", "class_entropy"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
