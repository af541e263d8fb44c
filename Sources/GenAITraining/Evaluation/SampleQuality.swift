import Foundation
import GenAIMetrics
import GenAITensor

/// The feature-space metrics shared by images and audio: FID, KID, the IS analogue, precision and
/// recall, class coverage and entropy, for generated items against a real reference set, and the
/// same for real held-out items (the ceiling).
struct SampleQuality {
  /// Features and class probabilities of one set.
  struct Described {
    let features: Features
    let probabilities: [[Double]]
    let predictions: [Int]
  }

  let network: FeatureNetwork

  func describe(_ items: Tensor) throws -> Described {
    let d = try network.describe(items)
    return Described(features: try Features(d.features), probabilities: d.probabilities, predictions: d.predictions)
  }

  /// Appends every wanted metric of `generated` against `reference`, with `heldOut` as the ceiling.
  func measure(
    generated: Described, reference: Described, heldOut: Described?, options: EvaluationOptions,
    generator: inout SeededGenerator, into report: inout EvaluationReport
  ) throws {
    let k = network.classifier.classCount
    if options.wants("fid") {
      let fid = try FrechetDistance.compute(real: reference.features, generated: generated.features)
      let real = try heldOut.map { try FrechetDistance.compute(real: reference.features, generated: $0.features) }
      if let w = fid.warning { report.warnings.append(w) }
      report.metrics.append(MetricResult(name: "fid", value: fid.value, ceiling: real?.value, better: .lower))
    }
    if options.wants("kid") {
      var g1 = generator
      let kid = try KernelInceptionDistance.compute(real: reference.features, generated: generated.features, using: &g1)
      var g2 = generator
      let real = try heldOut.map { try KernelInceptionDistance.compute(real: reference.features, generated: $0.features, using: &g2) }
      report.metrics.append(MetricResult(
        name: "kid", value: kid.mean, ceiling: real?.mean, better: .lower,
        detail: String(format: "± %.4f over %d subsets of %d", kid.standardDeviation, kid.subsetValues.count, kid.subsetSize)))
    }
    if options.wants("is") {
      let splits = min(10, generated.probabilities.count)
      let score = try ClassDistribution.inceptionScore(probabilities: generated.probabilities, splits: splits)
      let real = try heldOut.map { try ClassDistribution.inceptionScore(probabilities: $0.probabilities, splits: min(10, $0.probabilities.count)) }
      report.metrics.append(MetricResult(
        name: "is", value: score.mean, ceiling: real?.mean, better: .higher,
        detail: String(format: "± %.3f over %d splits, at most %d", score.std, splits, k)))
    }
    if options.wantsAny(["precision", "recall"]) {
      // k-NN radii are O(N²): compare equal-sized sets of at most 1,000.
      let n = min(1000, generated.features.count, reference.features.count)
      let pr = try PrecisionRecall.compute(real: rows(reference.features, n), generated: rows(generated.features, n))
      let real = try heldOut.map { try PrecisionRecall.compute(real: rows(reference.features, n), generated: rows($0.features, n)) }
      report.metrics.append(MetricResult(name: "precision", value: pr.precision, ceiling: real?.precision, better: .higher, detail: "k = 3, \(n) vs \(n)"))
      report.metrics.append(MetricResult(name: "recall", value: pr.recall, ceiling: real?.recall, better: .higher, detail: "k = 3, \(n) vs \(n)"))
    }
    if options.wantsAny(["coverage", "class_entropy"]) {
      let histogram = ClassDistribution.histogram(generated.predictions, classCount: k)
      let real = heldOut.map { ClassDistribution.histogram($0.predictions, classCount: k) }
      let top = histogram.indices.max { histogram[$0] < histogram[$1] }!
      let name = top < network.classNames.count ? network.classNames[top] : String(top)
      report.metrics.append(MetricResult(
        name: "coverage", value: ClassDistribution.coverage(histogram), ceiling: real.map(ClassDistribution.coverage), better: .higher,
        detail: String(format: "classes with ≥ half a fair share; largest: %@ %.0f%%", name, histogram[top] * 100)))
      report.metrics.append(MetricResult(
        name: "class_entropy", value: ClassDistribution.entropyBits(histogram), ceiling: real.map(ClassDistribution.entropyBits),
        unit: "bits", better: .higher, detail: String(format: "max %.2f", log2(Double(k)))))
    }
  }

  /// The first `n` rows of `features`.
  func rows(_ features: Features, _ n: Int) throws -> Features {
    try Features(count: n, dimension: features.dimension, values: Array(features.values.prefix(n * features.dimension)))
  }
}
