import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

extension Evaluator {
  /// Real images for the image metrics, in [-1, 1]: `reference` (training images, the statistics
  /// samples are compared with) and `heldOut` (the ceiling), cached after the first call.
  struct RealImages {
    let reference: Tensor
    let heldOut: Tensor?
    let referenceOrigin: String
    let heldOutOrigin: String?
  }

  func realImages(count: Int) throws -> RealImages {
    if let cached = realImagesCache { return cached }
    let data = try TrainingData.load(spec, as: .images, directory: dataDirectory)
    var g = generator(4)
    let m = min(options.referenceCount, data.count)
    let indices = Array(Array(0..<data.count).shuffled(using: &g).prefix(m))
    var unused = SeededGenerator(seed: 0)
    let reference = data.source.makeBatch(indices: indices, generator: &unused).inputs
    let held = try HeldOutData.images(override ?? spec, isOverride: override != nil, directory: dataDirectory, range: .minusOneToOne, limit: count)
    let real = RealImages(
      reference: reference, heldOut: held?.images, referenceOrigin: "\(m) random training images of \(data.origin)",
      heldOutOrigin: held?.origin)
    realImagesCache = real
    return real
  }

  /// The feature network for this run's data, cached; `nil` (and a warning) when none is trained.
  func featureNetwork(_ report: inout EvaluationReport) throws -> FeatureNetwork? {
    if let cached = featureNetworkCache { return cached }
    guard let url = FeatureNetwork.locate(data: spec, near: run, explicit: options.classifier) else {
      report.warnings.append(
        "no feature network for \(spec): FID, KID, IS, precision/recall and coverage need one; train it with `genai train classifier --data \(spec)` (it is looked for as \(FeatureNetwork.folderName(for: spec)) beside the run or in runs/) or pass --classifier RUN")
      return nil
    }
    let network = try FeatureNetwork(loading: url.path)
    featureNetworkCache = network
    return network
  }

  /// `count` images from `model`, in chunks, in [-1, 1].
  func generateImages(_ model: any ImageGenerating, count: Int, using g: inout SeededGenerator) throws -> Tensor {
    var parts = [Tensor]()
    var label: Int? = nil
    for start in stride(from: 0, to: count, by: 250) {
      // A conditional model cycles through its classes (label nil), like the data's balance.
      parts.append(try model.sampleImages(count: min(250, count - start), label: label, prior: options.prior, using: &g))
      label = nil
    }
    let images = Tensor.concatenate(parts, axis: 0)
    return model.pixelRange == .zeroToOne ? images * 2 - 1 : images
  }

  /// The image metrics of `model`'s samples.
  func imageMetrics(_ model: any ImageGenerating, into report: inout EvaluationReport) throws {
    let wanted = ["fid", "kid", "is", "precision", "recall", "coverage", "class_entropy", "nn_distance", "samples_per_s"]
    guard options.wantsAny(wanted) else { return }
    // Without a feature network only the pixel-space metrics remain; skip the work if none is asked for.
    if !options.wantsAny(["nn_distance", "samples_per_s"]), try featureNetwork(&report) == nil { return }
    let n = options.samples ?? 1000
    var g = generator(3)
    let (generated, seconds) = try timed { try generateImages(model, count: n, using: &g) }
    if options.wants("samples_per_s") {
      report.metrics.append(MetricResult(name: "samples_per_s", value: Double(n) / max(seconds, 1e-9), unit: "images/s", better: .higher))
    }
    try imageMetrics(
      generated: generated,
      origin: "\(n) generated images, seed \(options.seed), \(options.prior == nil ? "standard prior" : "tuned prior"), pixels mapped to [-1, 1]",
      into: &report)
  }

  /// The image metrics of `generated` `[N, 1, 28, 28]` in [-1, 1] (described as `origin` on the
  /// protocol card), after `samples_per_s`: nearest-neighbour distance and the feature-space metrics.
  func imageMetrics(generated: Tensor, origin: String, into report: inout EvaluationReport) throws {
    let n = generated.shape[0]
    let real = try realImages(count: n)
    var fields: [ProtocolCard.Field] = [
      .init("samples", origin),
      .init("reference", real.referenceOrigin),
      .init("ceiling", real.heldOutOrigin.map { "\(real.heldOut!.shape[0]) images: \($0)" } ?? "none (no held-out images for \(spec))"),
    ]
    if options.wants("nn_distance") {
      let flat = { (x: Tensor) in x.reshaped([x.shape[0], x.count / x.shape[0]]) }
      let gen = try NearestNeighbour.distances(from: flat(generated), to: flat(real.reference))
      let held = try real.heldOut.map { try NearestNeighbour.distances(from: flat($0), to: flat(real.reference)) }
      let mean = { (d: [Double]) in d.reduce(0, +) / Double(d.count) }
      let closeShare = held.map { h -> Double in
        let threshold = h.sorted()[h.count / 100]  // the 1st percentile of real held-out distances
        return Double(gen.filter { $0 < threshold }.count) / Double(gen.count)
      }
      report.metrics.append(MetricResult(
        name: "nn_distance", value: mean(gen), ceiling: held.map(mean), better: .none,
        detail: "mean L2 (pixels in [-1, 1]) to the nearest reference image"
          + (closeShare.map { String(format: "; %.1f%% closer than 99%% of held-out images (possible copies)", $0 * 100) } ?? "")))
    }
    guard options.wantsAny(["fid", "kid", "is", "precision", "recall", "coverage", "class_entropy"]),
      let network = try featureNetwork(&report)
    else {
      report.protocols.append(ProtocolCard(metrics: "samples_per_s, nn_distance", fields: fields))
      return
    }
    let quality = SampleQuality(network: network)
    let reference = try imageReferenceCache ?? quality.describe(real.reference)
    imageReferenceCache = reference
    let heldOut = try imageHeldOutCache ?? real.heldOut.map(quality.describe)
    imageHeldOutCache = .some(heldOut)
    var kidGenerator = generator(5)
    try quality.measure(
      generated: try quality.describe(generated), reference: reference, heldOut: options.ceilings ? heldOut : nil,
      options: options, generator: &kidGenerator, into: &report)
    fields.insert(contentsOf: network.cardFields, at: 0)
    fields.append(.init("preprocessing", "none beyond the [-1, 1] mapping: the feature network was trained on the same 28x28 grey images"))
    report.protocols.append(ProtocolCard(metrics: "fid, kid, is, precision, recall, coverage, class_entropy, nn_distance, samples_per_s", fields: fields))
  }
}
