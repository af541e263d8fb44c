import Foundation
import GenAI

// genai-bench: engine throughput, side by side with numpy/PyTorch when Python has them.
// Run it in release: `swift run -c release genai-bench [--quick] [--no-reference]`.

// `genai-bench soak ...`: the memory soak (Soak.swift), on its own.
if CommandLine.arguments.dropFirst().first == "soak" {
  do {
    try runSoak(try SoakSettings(Array(CommandLine.arguments.dropFirst(2))))
    exit(0)
  } catch {
    FileHandle.standardError.write(Data("genai-bench: \(error)\n".utf8))
    exit(1)
  }
}

let arguments = Set(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
  print("""
    USAGE: genai-bench [--quick] [--no-reference] [--json] [--micro] [--optimizer] [--gemm M,N,K,tA,tB]
           genai-bench soak [--steps 10000] [--samples 10000] [--every 1000] [--batch 128] [--vae conv|mlp]

    Measures, in this process and on this machine:
      - float32 matmul GFLOP/s at 256, 512 and 1024 (2 threads),
      - forward+backward time of every layer of the reference DCGAN (../shared/bench/dcgan.py) at batch 64,
    and, unless --no-reference, the same workloads through numpy and PyTorch run by
    Benchmarks/reference.py (Python found as $GENAI_BENCH_PYTHON, ~/.cache/bench-venv/bin/python or python3),
    printing our time against theirs as a ratio.
      --quick          shorter timing windows (noisier)
      --no-reference   skip the Python reference
      --json           also print one JSON line with every figure
      --micro          also time element-wise kernels over 4M floats
      --optimizer      time only an AdamW step and clipGradNorm over char-gpt's parameters, then exit
      --gemm ...       time only one product shape, then exit
    soak: vae training steps, then sampling calls, printing peak and current RSS every --every,
    so a leak shows as a rising figure (Sources/GenAIBench/Soak.swift).
    """)
  exit(0)
}
let quick = arguments.contains("--quick")
let seconds = quick ? 0.3 : 1.5

/// Median seconds per call of `body` over at least `seconds` of calls, after warm-up.
func timeIt(warmup: Int = 3, minSeconds: Double = seconds, _ body: () -> Void) -> Double {
  for _ in 0..<warmup { body() }
  var samples: [Double] = []
  let clock = ContinuousClock()
  let start = clock.now
  while samples.count < 5 || (clock.now - start) < .seconds(minSeconds) {
    let t0 = clock.now
    body()
    let d = clock.now - t0
    samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    if samples.count >= 2000 { break }
  }
  samples.sort()
  return samples[samples.count / 2]
}

var rng = SeededGenerator(seed: 0)
var results: [String: Double] = [:]

// MARK: - Reference (Python), run first so the two measurements share the machine's state.

func findPython() -> String? {
  if let p = ProcessInfo.processInfo.environment["GENAI_BENCH_PYTHON"] { return p }
  let venv = NSHomeDirectory() + "/.cache/bench-venv/bin/python"
  if FileManager.default.isExecutableFile(atPath: venv) { return venv }
  for p in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: p) { return p }
  return nil
}

func runReference() -> [String: Double] {
  guard !arguments.contains("--no-reference"), let python = findPython() else { return [:] }
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Benchmarks/reference.py").path
  guard FileManager.default.fileExists(atPath: script) else { return [:] }
  let p = Process()
  p.executableURL = URL(fileURLWithPath: python)
  p.arguments = [script, "--seconds", String(seconds)]
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = FileHandle.standardError
  do { try p.run() } catch { return [:] }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  guard let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
        let fields = try? JSONDecoder().decode([String: ReferenceField].self, from: Data(line.utf8)) else { return [:] }
  if case .text(let info)? = fields["info"] { print("reference: \(info)") }
  return fields.compactMapValues { if case .number(let x) = $0 { x } else { nil } }
}

/// A field of the reference script's JSON line: a figure (ms, GFLOP/s) or the `info` text.
enum ReferenceField: Decodable {
  case number(Double), text(String)

  init(from decoder: any Decoder) throws {
    let value = try decoder.singleValueContainer()
    if let x = try? value.decode(Double.self) { self = .number(x) } else { self = .text(try value.decode(String.self)) }
  }
}

print("genai-bench: BLAS backend \(BLAS.backend), \(ThreadPool.shared.threadCount) threads")
let reference = runReference()
if reference.isEmpty { print("reference: not run (no Python with numpy/torch found, or --no-reference)") }

func ratioText(_ ours: Double, _ key: String, higherIsBetter: Bool) -> String {
  guard let ref = reference[key], ref > 0 else { return "" }
  let r = higherIsBetter ? ours / ref : ref / ours
  return String(format: "%10.3g  %6.2fx", ref, r)
}

// MARK: - Element-wise kernels

if arguments.contains("--micro") {
  let n = 1 << 22
  let x = Tensor.randn([n], using: &rng), y = Tensor.randn([n], using: &rng)
  let cases: [(String, () -> Void)] = [
    ("relu", { _ = x.relu() }), ("tanh", { _ = x.tanh() }), ("exp", { _ = x.exp() }),
    ("x + y", { _ = x + y }), ("x * 2", { _ = x * 2 }), ("sum", { _ = x.sum() }),
    ("copy", { _ = x.copy() }),
  ]
  print("\nelement-wise, 4M floats                 ns/element")
  for (name, body) in cases {
    let t = timeIt(body)
    print("  " + name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: " %8.3f", t / Double(n) * 1e9))
  }
}

// MARK: - One product shape: --gemm M,N,K,transA,transB (for tuning)

if let i = CommandLine.arguments.firstIndex(of: "--gemm"), i + 1 < CommandLine.arguments.count {
  let f = CommandLine.arguments[i + 1].split(separator: ",").map { Int($0) ?? 0 }
  let (m, n, k, ta, tb) = (f[0], f[1], f[2], f[3] != 0, f[4] != 0)
  let a = Tensor.randn(ta ? [k, m] : [m, k], using: &rng), b = Tensor.randn(tb ? [n, k] : [k, n], using: &rng)
  let t = timeIt { _ = a.matmul(b, transposeA: ta, transposeB: tb) }
  print(String(format: "gemm M=%d N=%d K=%d tA=%d tB=%d: %.3f ms, %.1f GFLOP/s", m, n, k, ta ? 1 : 0, tb ? 1 : 0,
               t * 1e3, 2 * Double(m * n * k) / t / 1e9))
  exit(0)
}

// MARK: - Optimiser step: --optimizer (char-gpt's parameters)

if arguments.contains("--optimizer") {
  // The parameters of ../shared/bench/gpt.py (4 layers, 128 wide, vocabulary 65, context 64):
  // 0.8 M elements in 23 tensors of 128 to 65 K.
  var shapes: [[Int]] = [[65, 128], [64, 128]]
  for _ in 0..<4 { shapes += [[128], [384, 128], [128, 128], [128], [512, 128], [128, 512]] }
  shapes.append([128])
  let params = shapes.map { Tensor.randn($0, std: 0.02, using: &rng).requiringGrad() }
  for p in params { p.grad = Tensor.randn(p.shape, std: 0.01, using: &rng) }
  let optimizer = AdamW(parameters: params, learningRate: 1e-3, betas: (0.9, 0.99), weightDecay: 0.1)
  let step = timeIt { optimizer.step() }
  let clip = timeIt { clipGradNorm(params, maxNorm: 1e9) }
  print(String(format: "optimizer, char-gpt's %d parameters: AdamW step %.1f us, clipGradNorm %.1f us",
               params.reduce(0) { $0 + $1.count }, step * 1e6, clip * 1e6))
  exit(0)
}

// MARK: - Matmul

print("\nmatmul float32 (C = A·B, square)       GFLOP/s   reference  ours/ref")
for n in [256, 512, 1024] {
  let a = Tensor.randn([n, n], using: &rng), b = Tensor.randn([n, n], using: &rng)
  let t = timeIt { _ = a.matmul(b) }
  let gflops = 2 * Double(n * n * n) / t / 1e9
  results["matmul_\(n)_gflops"] = gflops
  print(String(format: "  n = %-5d                          %8.1f  ", n, gflops) + ratioText(gflops, "matmul_\(n)_gflops", higherIsBetter: true))
}

// MARK: - DCGAN layers, forward + backward at batch 64

struct Layer {
  let name: String
  let input: [Int]
  let params: [Tensor]
  let flops: Double  // forward multiply-adds × 2; forward+backward ≈ 3× for weighted layers
  let body: @MainActor (Tensor) -> Tensor
}

@MainActor func param(_ shape: [Int], std: Float = 0.02) -> Tensor { Tensor.randn(shape, std: std, using: &rng).requiringGrad() }

@MainActor func batchNorm(_ c: Int, axes: [Int]) -> ([Tensor], @MainActor (Tensor) -> Tensor) {
  let gamma = Tensor.ones([c]).requiringGrad(), beta = Tensor.zeros([c]).requiringGrad()
  return ([gamma, beta], { x in x.normalized(overAxes: axes, epsilon: 1e-3, scale: gamma, offset: beta).normalized })
}

let B = 64
var dropoutRng = SeededGenerator(seed: 1)
let wFc = param([100, 6272])
let (bn0p, bn0) = batchNorm(6272, axes: [0])
let wCt1 = param([128, 128, 5, 5]), wCt2 = param([128, 64, 5, 5]), wCt3 = param([64, 1, 5, 5])
let (bn1p, bn1) = batchNorm(128, axes: [0, 2, 3])
let (bn2p, bn2) = batchNorm(64, axes: [0, 2, 3])
let wC1 = param([64, 1, 5, 5]), bC1 = param([64]), wC2 = param([128, 64, 5, 5]), bC2 = param([128])
let wD = param([6272, 1]), bD = param([1])

let layers: [Layer] = [
  Layer(name: "G.fc 100->6272", input: [B, 100], params: [wFc], flops: 2.0 * 64 * 100 * 6272) { $0.matmul(wFc) },
  Layer(name: "G.bn0 6272", input: [B, 6272], params: bn0p, flops: 0, body: bn0),
  Layer(name: "G.lrelu 6272", input: [B, 6272], params: [], flops: 0) { $0.leakyRelu(slope: 0.2) },
  Layer(name: "G.convT1 128->128 s1", input: [B, 128, 7, 7], params: [wCt1], flops: 2.0 * 64 * 49 * 128 * 128 * 25) {
    $0.convTranspose2d(wCt1, stride: (1, 1), padding: .same)
  },
  Layer(name: "G.bn1 128", input: [B, 128, 7, 7], params: bn1p, flops: 0, body: bn1),
  Layer(name: "G.convT2 128->64 s2", input: [B, 128, 7, 7], params: [wCt2], flops: 2.0 * 64 * 49 * 128 * 64 * 25) {
    $0.convTranspose2d(wCt2, stride: (2, 2), padding: .same)
  },
  Layer(name: "G.bn2 64", input: [B, 64, 14, 14], params: bn2p, flops: 0, body: bn2),
  Layer(name: "G.lrelu 64x14x14", input: [B, 64, 14, 14], params: [], flops: 0) { $0.leakyRelu(slope: 0.2) },
  Layer(name: "G.convT3 64->1 s2", input: [B, 64, 14, 14], params: [wCt3], flops: 2.0 * 64 * 196 * 64 * 1 * 25) {
    $0.convTranspose2d(wCt3, stride: (2, 2), padding: .same)
  },
  Layer(name: "G.tanh 1x28x28", input: [B, 1, 28, 28], params: [], flops: 0) { $0.tanh() },
  Layer(name: "D.conv1 1->64 s2", input: [B, 1, 28, 28], params: [wC1, bC1], flops: 2.0 * 64 * 196 * 64 * 25) {
    $0.conv2d(wC1, bias: bC1, stride: (2, 2), padding: .same)
  },
  Layer(name: "D.lrelu 64x14x14", input: [B, 64, 14, 14], params: [], flops: 0) { $0.leakyRelu(slope: 0.2) },
  Layer(name: "D.dropout 64x14x14", input: [B, 64, 14, 14], params: [], flops: 0) { $0.dropout(p: 0.3, using: &dropoutRng) },
  Layer(name: "D.conv2 64->128 s2", input: [B, 64, 14, 14], params: [wC2, bC2], flops: 2.0 * 64 * 49 * 128 * 64 * 25) {
    $0.conv2d(wC2, bias: bC2, stride: (2, 2), padding: .same)
  },
  Layer(name: "D.fc 6272->1", input: [B, 6272], params: [wD, bD], flops: 2.0 * 64 * 6272) { $0.matmul(wD) + bD },
]

print("\nDCGAN layer forward+backward, batch 64   ms/iter   GFLOP/s   torch ms  torch/ours")
var totalOurs = 0.0, totalRef = 0.0
let only = CommandLine.arguments.firstIndex(of: "--layer").map { CommandLine.arguments[$0 + 1] }
for layer in layers where only == nil || layer.name.hasPrefix(only!) {
  let x = Tensor.randn(layer.input, using: &rng).requiringGrad()
  let outShape = withNoGrad { layer.body(x).shape }
  let cot = Tensor.randn(outShape, using: &rng)
  let t = timeIt {
    let y = layer.body(x)
    try? y.backward(cotangent: cot)
    x.zeroGrad()
    for p in layer.params { p.zeroGrad() }
  }
  totalOurs += t
  let key = "layer:" + layer.name
  results[key + "_ms"] = t * 1e3
  let gf = layer.flops > 0 ? String(format: "%8.1f", 3 * layer.flops / t / 1e9) : "       -"
  var refText = ""
  if let ref = reference[key + "_ms"] {
    totalRef += ref / 1e3
    refText = String(format: "%9.3f  %6.2fx", ref, ref / (t * 1e3))
  }
  print("  " + layer.name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: " %8.3f  ", t * 1e3) + gf + "  " + refText)
}
results["dcgan_layers_total_ms"] = totalOurs * 1e3
print("  " + "total".padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: " %8.3f            ", totalOurs * 1e3)
  + (totalRef > 0 ? String(format: "%9.3f  %6.2fx", totalRef * 1e3, totalRef / totalOurs) : ""))

if arguments.contains("--json") {
  let json = results.merging(reference.mapKeys { "ref:" + $0 }) { a, _ in a }
  if let line = try? JSONLines.line(json) { print(line) }
}

extension Dictionary {
  func mapKeys(_ f: (Key) -> Key) -> [Key: Value] { Dictionary(uniqueKeysWithValues: map { (f($0.key), $0.value) }) }
}
