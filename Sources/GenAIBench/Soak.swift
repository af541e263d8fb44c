import Foundation
import GenAI

// genai-bench soak: many vae training steps, then many sampling calls, in one process, printing
// the peak and current resident memory at intervals. A leak (a tape kept alive, a cache that
// grows, buffers not returned) shows as a figure that keeps rising; a sound engine levels off
// after the first interval. Run it in release:
//   swift run -c release genai-bench soak [--steps 10000] [--samples 10000] [--every 1000]
//     [--batch 128] [--vae conv|mlp] [--sample-count 64]
// Measured on a 2-core AMD EPYC Zen 3 (release, batch 128, 64 images per call, beside a CI build):
// conv VAE, 10,000 steps then 10,000 calls: peak RSS 143.9 MB after 1,000 steps, 144.4-144.5 MB from
// 2,000 to 10,000, 146.4 MB through all sampling calls; mlp VAE, 10,000 steps then 10,000 calls:
// 50.3 MB after 1,000 steps, 50.9 MB from 2,000 on, 51.4 MB through all sampling calls.

/// The soak's settings, from `genai-bench soak ...`.
struct SoakSettings {
  var steps = 10_000
  var samples = 10_000
  var every = 1_000
  var batch = VAE.kind.data[0].batchSize
  var sampleCount = 64
  var architecture = VAEArchitecture.conv

  /// Reads `--steps N --samples N --every N --batch N --sample-count N --vae conv|mlp`.
  init(_ arguments: [String]) throws {
    var rest = arguments[...]
    while let flag = rest.popFirst() {
      guard let value = rest.popFirst() else { throw TrainingError("soak: \(flag) needs a value") }
      func count() throws -> Int {
        guard let n = Int(value), n >= 0 else { throw TrainingError("soak: \(flag) takes a count, got \(value)") }
        return n
      }
      switch flag {
      case "--steps": steps = try count()
      case "--samples": samples = try count()
      case "--every": every = max(1, try count())
      case "--batch": batch = max(1, try count())
      case "--sample-count": sampleCount = max(1, try count())
      case "--vae":
        guard let a = VAEArchitecture(rawValue: value) else { throw TrainingError("soak: --vae takes conv or mlp, got \(value)") }
        architecture = a
      default: throw TrainingError("soak: unknown option \(flag) (see the top of Sources/GenAIBench/Soak.swift)")
      }
    }
  }
}

/// The resident set now, in MB (`/proc/self/statm`; `nil` where there is none).
func currentResidentMegabytes() -> Double? {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
  let fields = text.split(separator: " ")
  guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
  return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// Runs the soak and prints one line per interval and a summary.
func runSoak(_ settings: SoakSettings) throws {
  var setup = RecipeSetup(data: VAE.kind.defaultData, classNames: (0..<10).map(String.init))
  setup.options.vaeArchitecture = settings.architecture
  let recipe = try VAE.kind.make(setup)
  guard let images = recipe.imageGenerator else { throw TrainingError("soak: the vae draws no images") }
  print("soak: vae (\(settings.architecture)) batch \(settings.batch): \(settings.steps) training steps, then "
    + "\(settings.samples) sampling calls of \(settings.sampleCount) images; \(ThreadPool.shared.threadCount) threads")
  print("phase     done    peak_rss_mb  rss_mb  seconds")
  let clock = ContinuousClock()
  let start = clock.now
  var peaks: [Double] = []
  func report(_ phase: String, _ done: Int) {
    let peak = PeakMemory.megabytes()
    peaks.append(peak)
    let rss = currentResidentMegabytes().map { String(format: "%6.1f", $0) } ?? "     ?"
    print(phase.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%6d  %11.1f  ", done, peak) + rss
      + String(format: "  %7.1f", (clock.now - start) / .seconds(1)))
    fflush(nil)
  }
  var data = SeededGenerator(seed: 1)
  for step in stride(from: 1, through: settings.steps, by: 1) {
    // A fresh batch each step, as a loader would hand over.
    let batch = Batch(inputs: Tensor.uniform([settings.batch, 1, 28, 28], low: 0, high: 1, using: &data))
    _ = try recipe.trainStep(batch)
    if step % settings.every == 0 || step == settings.steps { report("train", step) }
  }
  var noise = SeededGenerator(seed: 2)
  for call in stride(from: 1, through: settings.samples, by: 1) {
    _ = try images.sampleImages(count: settings.sampleCount, label: nil, prior: nil, using: &noise)
    if call % settings.every == 0 || call == settings.samples { report("sample", call) }
  }
  guard let first = peaks.first, let last = peaks.last else { return }
  print(String(format: "soak: peak RSS %.1f MB after the first interval, %.1f MB at the end (+%.1f MB, %.1f%%)",
    first, last, last - first, first > 0 ? (last - first) / first * 100 : 0))
}
