"""Load on `genai serve` from a second process on loopback: many concurrent requests for 16-image
grids and for 200 characters of text, with p50/p99 latency, errors (must be 0) and the server's
resident memory before, after and at its peak.

    python3 Benchmarks/studio_load.py [--genai PATH] [--clients 8] [--requests 200] [--port 8765]

It trains two tiny runs (a DCGAN on shapes, a char-gpt on a short text) in a temporary runs folder,
starts the studio on them, warms it up, then sends --requests requests of each kind from --clients
threads at once, and a second round of the same to see whether memory keeps growing (it should be
flat: model work is one request at a time, nothing is cached per request).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

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


def memory_mb(pid):
    """(VmRSS, VmHWM) of pid in MB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def request(port, token, path, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as response:
        payload = response.read()
        ok = response.status == 200
    elapsed = time.perf_counter() - start
    if path.endswith("/text"):
        lines = payload.decode().strip().split("\n")
        ok = ok and len(lines) == body["length"] + 1 and "batch" in json.loads(lines[-1])
    return ok, elapsed


def load(port, token, path, body, clients, count):
    latencies, errors, lock = [], [0], threading.Lock()
    todo = iter(range(count))

    def worker():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                ok, elapsed = request(port, token, path, body)
            except (urllib.error.URLError, OSError, ValueError):
                ok, elapsed = False, 0.0
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
    return {"ok": len(latencies), "errors": errors[0], "p50": pick(0.5), "p99": pick(0.99), "per_s": len(latencies) / wall}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--genai", default=os.path.join(REPO, ".build", "release", "genai"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not os.path.exists(args.genai):
        sys.exit(f"no genai at {args.genai}: build with `swift build -c release` or pass --genai")

    folder = tempfile.mkdtemp(prefix="studio-load-")
    runs = os.path.join(folder, "runs")
    text = os.path.join(folder, "play.txt")
    with open(text, "w") as f:
        f.write("ROMEO:\nBut soft, what light through yonder window breaks?\nJULIET:\nO Romeo, Romeo!\n\n" * 40)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([args.genai, "train", "dcgan", "--data", "shapes", "--steps", "20", "--batch-size", "16",
                    "--out", f"{runs}/dcgan", "--plain", "--eval-every", "0"], check=True, **quiet)
    subprocess.run([args.genai, "train", "char-gpt", "--data", f"text:{text}", "--steps", "20", "--batch-size", "8",
                    "--out", f"{runs}/gpt", "--plain", "--eval-every", "0"], check=True, **quiet)
    token = "load-test-token"
    server = subprocess.Popen([args.genai, "serve", "--runs", runs, "--port", str(args.port), "--token", token], **quiet)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/runs", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        images = ("/api/runs/dcgan/images", {"count": 16, "seed": 1})
        text_request = ("/api/runs/gpt/text", {"length": 200, "seed": 1})
        for path, body in (images, text_request):  # warm-up
            request(args.port, token, path, body)
        print(f"genai serve under load on {cpu_model()}, {os.cpu_count()} cores; "
              f"{args.clients} clients, {args.requests} requests per kind and round")
        print(f"memory before: RSS {memory_mb(server.pid)[0]:.0f} MB")
        print("| round | request | ok | errors | p50 ms | p99 ms | requests/s | RSS after MB | peak MB |")
        print("|---|---|---|---|---|---|---|---|---|")
        for round_number in (1, 2):
            for name, (path, body) in (("16 images", images), ("200 characters", text_request)):
                result = load(args.port, token, path, body, args.clients, args.requests)
                rss, peak = memory_mb(server.pid)
                print(f"| {round_number} | {name} | {result['ok']} | {result['errors']} | {result['p50'] * 1000:.0f} | "
                      f"{result['p99'] * 1000:.0f} | {result['per_s']:.1f} | {rss:.0f} | {peak:.0f} |")
        alive = server.poll() is None
        print(f"server still up: {alive}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
