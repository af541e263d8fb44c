"""Data-parallel scaling of `mpirun -np N genai train` on this machine, and a model of it on clusters.

For each recipe (dcgan, vae, char-gpt) at its default global batch, trains N = 1, 2 (and 4 with
--oversubscribe: more processes than cores, marked as such) processes for --steps steps and prints:

  * steps/s (median of the logged rates after the first log line), the speed-up over N = 1,
  * the all-reduce time per step as process 0 sees it (waiting for the slowest process included)
    and the bytes reduced per step, from the `MPI:` line genai prints at the end,
  * the parameters (float32) whose gradients are averaged each step.

Then the paper model (docs/distributed.md): a ring all-reduce of B bytes over N processes costs
2(N-1)/N * B / bandwidth + 2(N-1) * latency; with each process keeping this machine's per-process
batch (weak scaling: the global batch grows with N) and no overlap of communication with compute,
efficiency = t_step / (t_step + t_allreduce). Printed for N = 8, 64, 512 on 10 and 100 Gbit/s links
(latency 20 µs and 5 µs).

    python3 Benchmarks/mpi_scaling.py [--genai .build/release/genai] [--steps 60] [--oversubscribe]
        [--recipes dcgan,vae,char-gpt] [--data-dir ../shared/data]

Needs Open MPI's mpirun (apt-get install openmpi-bin) and a release build (swift build -c release).
Measure on a quiet machine.
"""
import argparse, json, math, os, re, statistics, struct, subprocess, sys, tempfile

DEFAULT_BATCH = {"dcgan": 64, "vae": 64, "char-gpt": 16}
LINKS = [("10 Gbit/s", 10e9 / 8, 20e-6), ("100 Gbit/s", 100e9 / 8, 5e-6)]


def run(genai, recipe, processes, steps, data_dir, oversubscribe):
    out = tempfile.mkdtemp(prefix=f"mpi-{recipe}-{processes}-")
    cores = os.cpu_count() or 1
    env = dict(os.environ)
    env.pop("GENAI_THREADS", None)  # genai divides the cores among the local processes
    cmd = ["mpirun", "--allow-run-as-root", "--bind-to", "none", "-np", str(processes)]
    if oversubscribe or processes > cores:
        cmd.append("--oversubscribe")
    cmd += [genai, "train", recipe, "--steps", str(steps), "--batch-size", str(DEFAULT_BATCH[recipe]),
            "--plain", "--eval-every", "0", "--sample-every", "0", "--log-every", "5",
            "--out", os.path.join(out, "run")]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    rates = []
    with open(os.path.join(out, "run", "metrics.jsonl")) as f:
        for line in f:
            entry = json.loads(line)
            if "steps_per_s" in entry:  # training lines
                rates.append(entry["steps_per_s"])
    rate = statistics.median(rates[1:] or rates)
    reduce_s, reduce_bytes, reduce_count = 0.0, 0, 0
    match = re.search(r"MPI: \d+ processes; (\d+) all-reduces of ([\d.]+) MB in all, ([\d.]+) s", done.stdout)
    if match:
        reduce_count = int(match.group(1)) / steps
        reduce_s = float(match.group(3)) / steps
        reduce_bytes = float(match.group(2)) * 1e6 / steps
    ckpt = os.path.join(out, "run", "checkpoints", f"step-{steps:06d}.safetensors")
    return rate, reduce_s, reduce_bytes, reduce_count, parameter_count(ckpt)


def parameter_count(path):
    """Float32 elements of the model tensors (not optimiser state) in a safetensors file."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    total = 0
    for name, info in header.items():
        if name == "__metadata__" or not name.startswith("model.") or info["dtype"] != "F32":
            continue
        if "running_" in name:
            continue
        count = 1
        for d in info["shape"]:
            count *= d
        total += count
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genai", default=".build/release/genai")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--recipes", default="dcgan,vae,char-gpt")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--oversubscribe", action="store_true", help="also N = 4 on this machine (more processes than cores)")
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# mpirun -np N genai train: {cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    counts = [1, 2] + ([4] if args.oversubscribe else [])
    print("\n| recipe | N | steps/s | speed-up | all-reduce ms/step | all-reduces/step | MB reduced/step | parameters |")
    print("|---|---|---|---|---|---|---|---|")
    single = {}
    for recipe in args.recipes.split(","):
        base = None
        for n in counts:
            rate, reduce_s, reduce_bytes, count, params = run(args.genai, recipe, n, args.steps, args.data_dir, args.oversubscribe)
            base = base or rate
            note = " (oversubscribed)" if n > (os.cpu_count() or 1) else ""
            print(f"| {recipe} | {n}{note} | {rate:.2f} | {rate / base:.2f} | {reduce_s * 1000:.1f} | {count:.0f} | {reduce_bytes / 1e6:.2f} | {params:,} |")
            if n == 1:
                single[recipe] = [rate, params, 0]
            elif n == 2:
                single[recipe][2] = count
            sys.stdout.flush()
    print("\n## Model: weak scaling (each process keeps this machine's batch), ring all-reduce, no overlap")
    print("\n| recipe | gradient MB/step | link | N=8 | N=64 | N=512 |")
    print("|---|---|---|---|---|---|")
    for recipe, (rate, params, count) in single.items():
        t_step = 1 / rate
        grad_bytes = params * 4
        for name, bandwidth, latency in LINKS:
            cells = []
            for n in (8, 64, 512):
                # The gradients: one ring all-reduce's worth of bytes (split into a few calls);
                # the other all-reduces of a step (batch-norm statistics, losses) are small and
                # latency-bound: recursive doubling, log2(N) rounds each.
                t_comm = 2 * (n - 1) / n * grad_bytes / bandwidth + 2 * (n - 1) * latency
                t_comm += max(count - 2, 0) * math.log2(n) * latency
                cells.append(f"{t_step / (t_step + t_comm):.0%}")
            print(f"| {recipe} | {grad_bytes / 1e6:.1f} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
