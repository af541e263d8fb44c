"""Training-step throughput and memory of our recipes against PyTorch, TensorFlow and JAX, in one run.

Runs `genai bench RECIPE` (release build) and the matching ../shared/bench script for every reference
variant, with the step counts of ../shared/bench/RESULTS.md's protocol. All systems alternate within
each round (the order rotates from round to round) so that noise from other work on the machine hits
all of them. The report has:

  * a header with the machine (CPU model, SIMD flags, cores, memory), the date, the load average at
    the start, the genai binary and its matrix-product backend, and the Python packages' versions;
  * per recipe, one row per system: median steps/s, ratio to the best reference and to PyTorch eager,
    median peak RSS (resident set, MiB, from each child's rusage via os.wait4) and its ratio to
    PyTorch's, and with --busy the steps/s with a busy loop beside it as a percentage of the quiet figure;
  * a summary table, one row per recipe: ours, the best reference (named), the ratios.

    ~/.cache/bench-venv/bin/python Benchmarks/compare_recipes.py [--quick] [--rounds N]
        [--recipes dcgan,vae,char-rnn,char-gpt] [--frameworks torch,torch.compile,tf,tf+xla,jax]
        [--busy [N]] [--no-openblas] [--no-build] [--json FILE] [--genai PATH] [--baseline PATH]
        [--threads T] [--timeout S] [--bench-dir DIR]

Systems:
  ours            the genai binary with its own kernels (GENAI_BLAS removed from its environment)
  ours+openblas   the same binary with GENAI_BLAS=openblas (plain matrix products through OpenBLAS);
                  skipped with a note when `genai info` says OpenBLAS could not be loaded, or with
                  --no-openblas
  base            --baseline PATH: a second genai binary (e.g. a build of the previous commit) timed
                  in the same rounds, so a before/after comparison sees the same machine noise
  torch, torch.compile, tf, tf+xla, jax
                  the reference scripts with `--framework {torch,tf,jax}` and, for the compiled
                  variants, `--compile` (torch.compile with inductor; tf's @tf.function(jit_compile=True)).
                  --frameworks picks a subset (default: all five); "best" is the fastest of them.

--busy [N] runs every system twice per round, once quiet and once with N (default 1) busy loops in
other processes (a tiny C program compiled on the fly with cc, or a Python loop without a compiler),
and reports busy steps/s as a percentage of quiet. PyTorch's OpenMP threads spin-wait and are known to
collapse when another process takes a core (RESULTS.md: gpt/torch 24.8 -> 1.39 steps/s).

Other work on the machine skews every figure. Each run records the 1-minute load average at its start
and the "foreign load" during it (CPU time of everything except that run, our busy loop and this
script, from /proc/stat, as a fraction of one core); the footer gives their ranges.

--quick divides every step count by 5 (at least 3 timed steps, 2 warm-up). The Python side must be the
benchmark venv's python (torch, tensorflow and jax importable); `../shared` is found beside the
repository (the repo is cloned with ../shared next to it). --json FILE also writes every run (steps/s,
peak RSS, wall and CPU time, loads) and the machine description; its "results" field keeps the old
layout {recipe: {system: [quiet steps/s per round]}}.
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_BENCH = os.path.join(os.path.dirname(REPO), "shared", "bench")
SCRATCH = os.path.join(REPO, ".build-bench")

# recipe -> (reference script, {framework: timed steps}) from RESULTS.md's "Exact commands".
# The compiled variants use their framework's step count; ours+openblas and base use "ours".
PROTOCOL = {
    "dcgan": ("dcgan.py", {"ours": 60, "torch": 60, "tf": 120, "jax": 40}),
    "vae": ("vae.py", {"ours": 150, "torch": 150, "tf": 400, "jax": 50}),
    "char-rnn": ("charlstm.py", {"ours": 20, "torch": 20, "tf": 15, "jax": 30}),
    "char-gpt": ("gpt.py", {"ours": 400, "torch": 400, "tf": 350, "jax": 160}),
}
WARMUP = 5

# Reference variants: name -> (the script's --framework, whether to pass --compile).
VARIANTS = {
    "torch": ("torch", False),
    "torch.compile": ("torch", True),
    "tf": ("tf", False),
    "tf+xla": ("tf", True),
    "jax": ("jax", False),
}
# Other spellings accepted by --frameworks.
ALIASES = {"torch-compile": "torch.compile", "torch+compile": "torch.compile", "tf-xla": "tf+xla", "xla": "tf+xla"}

# Our systems: name -> extra environment for the genai binary (None: remove the variable).
OURS = {"base": {"GENAI_BLAS": None}, "ours": {"GENAI_BLAS": None}, "ours+openblas": {"GENAI_BLAS": "openblas"}}

BUSY_C = "int main(void) { volatile unsigned long n = 0; for (;;) n++; }\n"
TORCH_COLLAPSE_NOTE = ("PyTorch's OpenMP threads spin-wait and are known to collapse when another process takes a core "
                       "(RESULTS.md: gpt/torch 24.8 -> 1.39 steps/s).")


# ---------------------------------------------------------------------------------------------------------------
# The machine


def cpu_description():
    """(CPU model, list of relevant SIMD flags present, list of those absent)."""
    model, flags, family = None, set(), {}
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key == "model name" and model is None:
                    model = value.strip()
                elif key in ("flags", "features") and not flags:  # x86 "flags", aarch64 "Features"
                    flags = set(value.split())
                elif key in ("cpu family", "model") and key not in family:  # a VM's model name can be terse
                    family[key] = value.strip()
        if model and len(family) == 2:
            model += f" (family {family['cpu family']}, model {family['model']})"
        if "asimd" in flags:  # aarch64 calls NEON "asimd"
            flags.add("neon")
        if model is None and shutil.which("lscpu"):  # aarch64's cpuinfo has no model name
            out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith("Model name:"):
                    model = line.split(":", 1)[1].strip()
    elif sys.platform == "darwin":
        def sysctl(name):
            return subprocess.run(["sysctl", "-n", name], capture_output=True, text=True).stdout.strip()
        model = sysctl("machdep.cpu.brand_string")
        for flag, name in (("avx2", "hw.optional.avx2_0"), ("avx512f", "hw.optional.avx512f"),
                           ("neon", "hw.optional.neon"), ("fma", "hw.optional.fma")):
            if sysctl(name) == "1":
                flags.add(flag)
    wanted = ("neon", "sve") if platform.machine() in ("aarch64", "arm64") else (
        "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16")
    return model or platform.processor() or "unknown", [f for f in wanted if f in flags], \
        [f for f in wanted if f not in flags]


def memory_gib():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError, AttributeError):
        return None


def package_versions():
    """Versions of the reference frameworks in this Python, read without importing them."""
    versions = {}
    for label, names in (("torch", ["torch"]), ("tensorflow", ["tensorflow", "tensorflow-cpu"]), ("keras", ["keras"]),
                         ("jax", ["jax"]), ("jaxlib", ["jaxlib"]), ("numpy", ["numpy"])):
        for name in names:
            try:
                versions[label] = importlib.metadata.version(name)
                break
            except importlib.metadata.PackageNotFoundError:
                pass
    return versions


def git_commit():
    """The repository's commit, with "+dirty" when the tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def genai_backend(binary, env_extra):
    """What `genai info` says computes the matrix products under env_extra, or None if it cannot say."""
    try:
        out = subprocess.run([binary, "info"], env=child_env(env_extra), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("matrix products:"):
            return line.split(":", 1)[1].strip()
    return None


def machine_info():
    model, present, absent = cpu_description()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "cpu": model,
        "simd": present,
        "simd_absent": absent,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory_gib(),
        "load_at_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "packages": package_versions(),
        "commit": git_commit(),
    }


# ---------------------------------------------------------------------------------------------------------------
# Building and running


def build():
    cmd = ["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "genai"]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=sys.stderr)
    out = subprocess.run(cmd + ["--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True)
    return os.path.join(out.stdout.strip(), "genai")


def child_env(extra):
    """This process's environment with extra's variables set (or removed where the value is None)."""
    env = dict(os.environ)
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in output:\n" + text[-2000:])


def busy_jiffies():
    """CPU time the whole machine has spent busy, in clock ticks (None where there is no /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            vals = list(map(int, f.readline().split()[1:9]))  # user nice system idle iowait irq softirq steal
    except OSError:
        return None
    return sum(vals) - vals[3] - vals[4]


def cpu_seconds(ru):
    return ru.ru_utime + ru.ru_stime


def maxrss_mib(ru):
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return ru.ru_maxrss / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)


def wait_with_rusage(proc, timeout):
    """Waits for proc with os.wait4 (so that we get its rusage: peak RSS and CPU time), killing its
    process group after timeout seconds. Returns (rusage, timed_out)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
            return ru, False
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)  # the group we started (torch.compile has worker processes)
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return ru, True
        time.sleep(0.05)


class BusyLoops:
    """N processes that spin forever, started around each busy run to take cores away."""

    def __init__(self, count):
        self.count = count
        self.procs = []
        self.dir = tempfile.mkdtemp(prefix="genai-busy-")
        self.cmd, self.kind = [sys.executable, "-c", "while True: pass"], "python loop"
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if cc:
            src, exe = os.path.join(self.dir, "busy.c"), os.path.join(self.dir, "busy")
            with open(src, "w") as f:
                f.write(BUSY_C)
            if subprocess.run([cc, "-O1", "-o", exe, src], capture_output=True).returncode == 0:
                self.cmd, self.kind = [exe], "C loop"

    def start(self):
        self.procs = [subprocess.Popen(self.cmd) for _ in range(self.count)]

    def stop(self):
        """Kills the loops this object started and returns the CPU seconds they used."""
        used = 0.0
        for p in self.procs:
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            used += cpu_seconds(ru)
        self.procs = []
        return used

    def close(self):
        if self.procs:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def command_for(system, recipe, steps, warmup, threads, genai, bench_dir):
    """(argv, working directory, extra environment) of one run of system on recipe."""
    if system in OURS:
        cmd = [genai[system], "bench", recipe, "--steps", str(steps), "--warmup", str(warmup), "--threads", str(threads)]
        return cmd, REPO, OURS[system]
    framework, compiled = VARIANTS[system]
    cmd = [sys.executable, PROTOCOL[recipe][0], "--framework", framework, "--steps", str(steps), "--warmup",
           str(warmup), "--threads", str(threads)] + (["--compile"] if compiled else [])
    return cmd, bench_dir, {}


def run_one(system, recipe, steps, warmup, threads, genai, bench_dir, busy, timeout):
    """One timed run. Returns a record with steps_per_s (None if it failed), rss_mib, wall and CPU
    seconds, the 1-minute load average at its start and the foreign load during it."""
    cmd, cwd, env_extra = command_for(system, recipe, steps, warmup, threads, genai, bench_dir)
    rec = {"recipe": recipe, "system": system, "mode": "busy" if busy else "quiet", "steps": steps,
           "warmup": warmup, "steps_per_s": None, "load1": round(os.getloadavg()[0], 2)}
    j0, self0, t0 = busy_jiffies(), cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)), time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        if busy:
            busy.start()
        try:
            # A new session: the child and anything it spawns form one process group we can kill.
            proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(env_extra), stdout=out, stderr=err,
                                    start_new_session=True)
        except OSError as e:  # e.g. a --baseline binary that is not there
            if busy:
                busy.stop()
            rec["error"] = str(e)
            print(f"  {recipe:9s} {system:14s} {rec['mode']:5s} failed: {e}", file=sys.stderr)
            return rec
        try:
            ru, timed_out = wait_with_rusage(proc, timeout)
        except BaseException:  # Ctrl-C: take the child down with us
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            raise
        finally:
            busy_cpu = busy.stop() if busy else 0.0
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    rec.update(wall_s=round(wall, 2), cpu_s=round(cpu_seconds(ru), 2), rss_mib=round(maxrss_mib(ru), 1))
    j1 = busy_jiffies()
    if j0 is not None and j1 is not None and wall > 0:
        self_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - self0
        machine = (j1 - j0) / os.sysconf("SC_CLK_TCK")
        rec["foreign"] = round(max(0.0, machine - cpu_seconds(ru) - busy_cpu - self_cpu) / wall, 3)
    label = f"  {recipe:9s} {system:14s} {rec['mode']:5s}"
    if timed_out:
        rec["error"] = f"timed out after {timeout} s"
    elif proc.returncode != 0:
        rec["error"] = f"exit {proc.returncode}: {stderr.strip()[-500:]}"
    elif "no OpenBLAS could be loaded" in stderr:
        rec["error"] = "OpenBLAS did not load (ran on genai's kernels)"
    else:
        try:
            rec["steps_per_s"] = last_json_line(stdout)["steps_per_s"]
        except (ValueError, KeyError) as e:
            rec["error"] = str(e)[-500:]
    if rec["steps_per_s"] is None:
        print(f"{label} failed: {rec['error']}", file=sys.stderr)
    else:
        print(f"{label} {rec['steps_per_s']:8.3f} steps/s  {rec['rss_mib']:7.0f} MiB  ({wall:.0f} s wall, "
              f"{rec['cpu_s'] / wall:.1f} cores, load {rec['load1']:.2f}, foreign {rec.get('foreign', '-')})",
              file=sys.stderr)
    return rec


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, d=2):
    return f"{x:.{d}f}" if x is not None else "-"


def ratio(a, b):
    return fmt(a / b if a and b else None)


def percent(a, b):
    return f"{100 * a / b:.0f}%" if a and b else "-"


def print_table(header, rows, indent=""):
    """Left-aligned first column, right-aligned others; columns sized to their widest cell."""
    widths = [max(len(str(h)), *(len(str(row[i])) for row in rows)) for i, h in enumerate(header)]

    def line(cells):
        return indent + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    for row in rows:
        print(line(row))


def summarize(runs, recipes, systems, refs):
    """{recipe: {system: {steps_per_s, rss_mib, busy_steps_per_s, failed}}, plus "best": (name, steps/s)}."""
    out = {}
    for r in recipes:
        out[r] = {}
        for s in systems:
            mine = [x for x in runs if x["recipe"] == r and x["system"] == s]
            quiet = [x for x in mine if x["mode"] == "quiet"]
            busy = [x for x in mine if x["mode"] == "busy"]
            out[r][s] = {
                "steps_per_s": med([x["steps_per_s"] for x in quiet]),
                "rss_mib": med([x["rss_mib"] for x in quiet if x["steps_per_s"] is not None]),
                "busy_steps_per_s": med([x["steps_per_s"] for x in busy]),
                "failed": sum(1 for x in mine if x["steps_per_s"] is None),
            }
        timed = [(s, out[r][s]["steps_per_s"]) for s in refs if out[r][s]["steps_per_s"] is not None]
        out[r]["best"] = max(timed, key=lambda t: t[1]) if timed else (None, None)
    return out


def print_header(machine, args, genai, backends, busy, notes):
    def field(label, text):
        print(f"  {label + ':':15s}{text}")

    m = machine
    simd = " ".join(m["simd"]) or "none of interest"
    if m["simd_absent"]:
        simd += " (no " + ", ".join(m["simd_absent"]) + ")"
    mem = f", {m['memory_gib']:.0f} GiB RAM" if m["memory_gib"] else ""
    print(f"genai vs reference frameworks, {m['date']} on {m['host']}")
    field("CPU", f"{m['cpu']} ({m['arch']}), {m['cores']} cores ({m['usable_cores']} usable){mem}, {m['os']}")
    field("SIMD", simd)
    field("load", "%.2f / %.2f / %.2f (1/5/15 min) at start" % tuple(m["load_at_start"]))
    for name in [s for s in OURS if s in genai]:
        field(name, f"{genai[name]}  (matrix products: {backends.get(name) or 'unknown'})")
    field("commit", m["commit"] or "unknown")
    field("python", f"{m['python']}: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))
    steps = "RESULTS.md's step counts" + (" / 5 (--quick)" if args.quick else "")
    mode = f"; busy: {busy.count} {busy.kind}(s) in other processes during the busy runs" if busy else ""
    field("protocol", f"{steps}, {args.rounds} round(s), {args.threads} threads{mode}")
    for n in notes:
        field("note", n)
    print()


def report(summary, runs, recipes, systems, refs, args, busy):
    has_torch = "torch" in refs
    for r in recipes:
        sm = summary[r]
        best_name, best = sm["best"]
        torch = sm["torch"] if has_torch else {}
        header = ["system", "steps/s", "x best"] + (["x torch"] if has_torch else []) + ["peak RSS MiB"] + \
            (["RSS x torch"] if has_torch else []) + (["busy steps/s", "busy/quiet"] if busy else [])
        rows = []
        for s in systems:
            x = sm[s]
            name = s + (" (best)" if s == best_name else "") + (f" [{x['failed']} failed]" if x["failed"] else "")
            row = [name, fmt(x["steps_per_s"]), ratio(x["steps_per_s"], best)]
            if has_torch:
                row.append(ratio(x["steps_per_s"], torch["steps_per_s"]))
            row.append(fmt(x["rss_mib"], 0))
            if has_torch:
                row.append(ratio(x["rss_mib"], torch["rss_mib"]))
            if busy:
                row += [fmt(x["busy_steps_per_s"]), percent(x["busy_steps_per_s"], x["steps_per_s"])]
            rows.append(row)
        print(f"{r}: steps/s and peak RSS, median of {args.rounds} round(s)")
        print_table(header, rows, indent="  ")
        if best_name:
            ours = [f"{s}/best {ratio(sm[s]['steps_per_s'], best)}" for s in systems if s in OURS]
            print(f"  best reference: {best_name} {best:.2f} steps/s; " + ", ".join(ours))
        if "base" in systems:
            print(f"  ours/base {ratio(sm['ours']['steps_per_s'], sm['base']['steps_per_s'])}")
        print()

    # One row per recipe: the figures the speed goal is judged by.
    ours_systems = [s for s in systems if s in OURS]
    header = ["recipe"] + ours_systems + ["best reference"] + [f"{s}/best" for s in ours_systems if s != "base"]
    if "base" in systems:
        header.append("ours/base")
    if has_torch:
        header += ["ours/torch", "RSS ours/torch"]
    if busy:
        header += ["busy/quiet ours"] + (["busy/quiet torch"] if has_torch else [])
    rows = []
    for r in recipes:
        sm = summary[r]
        best_name, best = sm["best"]
        row = [r] + [fmt(sm[s]["steps_per_s"]) for s in ours_systems]
        row.append(f"{best_name} {best:.2f}" if best_name else "-")
        row += [ratio(sm[s]["steps_per_s"], best) for s in ours_systems if s != "base"]
        if "base" in systems:
            row.append(ratio(sm["ours"]["steps_per_s"], sm["base"]["steps_per_s"]))
        if has_torch:
            row += [ratio(sm["ours"]["steps_per_s"], sm["torch"]["steps_per_s"]),
                    ratio(sm["ours"]["rss_mib"], sm["torch"]["rss_mib"])]
        if busy:
            row.append(percent(sm["ours"]["busy_steps_per_s"], sm["ours"]["steps_per_s"]))
            if has_torch:
                row.append(percent(sm["torch"]["busy_steps_per_s"], sm["torch"]["steps_per_s"]))
        rows.append(row)
    print("summary (steps/s; ratios > 1 mean ours is faster / uses more memory)")
    print_table(header, rows, indent="  ")

    quiet = [x for x in runs if x["mode"] == "quiet"]
    loads = [x["load1"] for x in quiet]
    foreign = [x["foreign"] for x in quiet if "foreign" in x]
    if loads:
        line = "1-min load average at quiet run starts: %.2f-%.2f" % (min(loads), max(loads))
        if foreign:
            line += "; foreign load during quiet runs: %.2f-%.2f cores" % (min(foreign), max(foreign))
        print(line)
        print(f"({os.cpu_count()} cores; foreign load above ~0.05 means other work competed, and torch's OpenMP "
              "threads degrade far more than the others under contention)")
        if foreign and max(foreign) > 0.25:
            print(f"WARNING: other work took up to {max(foreign):.2f} cores during the quiet runs; these figures "
                  "are not comparable with a quiet machine's (RESULTS.md)")
    if busy:
        print(f"busy: {busy.count} {busy.kind}(s) ran beside each busy run. {TORCH_COLLAPSE_NOTE}")


# ---------------------------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a fifth of the protocol's steps")
    p.add_argument("--rounds", type=int, default=2, help="rounds over all systems per recipe; medians reported")
    p.add_argument("--recipes", default=",".join(PROTOCOL), help="comma-separated subset of " + ",".join(PROTOCOL))
    p.add_argument("--frameworks", default=",".join(VARIANTS),
                   help="reference variants, comma-separated subset of " + ",".join(VARIANTS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--busy", type=int, nargs="?", const=1, default=0, metavar="N",
                   help="also time every system with N (default 1) busy loops running beside it")
    p.add_argument("--no-openblas", action="store_true", help="do not time ours+openblas")
    p.add_argument("--timeout", type=int, default=1800, help="seconds before a single run is killed")
    p.add_argument("--no-build", action="store_true", help="use the existing release build in .build-bench")
    p.add_argument("--json", help="also write every measurement to this file")
    p.add_argument("--genai", help="the genai binary to time (default: build .build-bench in release)")
    p.add_argument("--baseline", help="a second genai binary timed in the same rounds (system 'base')")
    p.add_argument("--bench-dir", default=SHARED_BENCH, help="the reference scripts (default: ../shared/bench)")
    args = p.parse_args()

    recipes = [r for r in args.recipes.split(",") if r]
    for r in recipes:
        if r not in PROTOCOL:
            p.error(f"unknown recipe {r!r}; valid: {', '.join(PROTOCOL)}")
    refs = []
    for f in args.frameworks.split(","):
        f = ALIASES.get(f.strip(), f.strip())
        if f and f not in VARIANTS:
            p.error(f"unknown framework {f!r}; valid: {', '.join(VARIANTS)}")
        if f and f not in refs:
            refs.append(f)
    if not os.path.isdir(args.bench_dir):
        p.error(f"{args.bench_dir} not found (../shared must sit beside the repository, or pass --bench-dir)")
    bench_dir = os.path.abspath(args.bench_dir)
    machine = machine_info()  # before building, so that the load average is the machine's own

    if args.genai:
        genai = {"ours": os.path.abspath(args.genai)}
    elif args.no_build:
        genai = {"ours": os.path.join(SCRATCH, "release", "genai")}
    else:
        genai = {"ours": build()}
    notes = []
    backends = {"ours": genai_backend(genai["ours"], OURS["ours"])}
    ours_systems = ["ours"]
    if not args.no_openblas:
        backend = genai_backend(genai["ours"], OURS["ours+openblas"])
        if backend and not backend.startswith("genai"):
            genai["ours+openblas"] = genai["ours"]
            backends["ours+openblas"] = backend
            ours_systems.append("ours+openblas")
        else:
            notes.append(f"ours+openblas skipped: with GENAI_BLAS=openblas `genai info` reports backend "
                         f"{backend or 'unknown'} (libopenblas not loadable?)")
    if args.baseline:
        genai["base"] = os.path.abspath(args.baseline)
        backends["base"] = genai_backend(genai["base"], OURS["base"])
        ours_systems = ["base"] + ours_systems
    systems = ours_systems + refs

    busy = BusyLoops(args.busy) if args.busy > 0 else None
    print_header(machine, args, genai, backends, busy, notes)
    sys.stdout.flush()
    runs = []
    try:
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", file=sys.stderr)
            for r in recipes:
                order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
                for s in order:
                    steps = PROTOCOL[r][1][VARIANTS[s][0] if s in VARIANTS else "ours"]
                    warmup = WARMUP
                    if args.quick:
                        steps, warmup = max(3, steps // 5), 2
                    # Quiet and busy runs of a system sit next to each other (which goes first alternates
                    # by round) so that both see the same machine.
                    modes = [None, busy] if busy else [None]
                    if busy and rnd % 2:
                        modes.reverse()
                    for mode in modes:
                        rec = run_one(s, r, steps, warmup, args.threads, genai, bench_dir, mode, args.timeout)
                        rec["round"] = rnd + 1
                        runs.append(rec)
    finally:
        if busy:
            busy.close()

    summary = summarize(runs, recipes, systems, refs)
    report(summary, runs, recipes, systems, refs, args, busy)
    if args.json:
        results = {r: {s: [x["steps_per_s"] for x in runs if x["recipe"] == r and x["system"] == s
                           and x["mode"] == "quiet" and x["steps_per_s"] is not None] for s in systems}
                   for r in recipes}
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "quick": args.quick, "rounds": args.rounds, "threads": args.threads,
                       "busy": args.busy, "busy_kind": busy.kind if busy else None, "systems": systems,
                       "genai": genai, "backends": backends, "notes": notes, "results": results,
                       "summary": summary, "runs": runs, "loads": [x["load1"] for x in runs]}, f, indent=1)


if __name__ == "__main__":
    main()
