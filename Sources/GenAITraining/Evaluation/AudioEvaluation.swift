import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

extension Evaluator {
  /// The audio metrics of `model`'s clips on the spoken-digit feature network: accuracy on the
  /// digit asked for, IS, FID, and the shares of silent and clipped clips; real held-out voices
  /// are the ceiling.
  func audioMetrics(_ model: any AudioGenerating, into report: inout EvaluationReport) throws {
    let wanted = ["accuracy", "is", "fid", "kid", "silent", "clipped", "samples_per_s"]
    guard options.wantsAny(wanted) else { return }
    let n = options.samples ?? 300
    var g = generator(6)
    // Labels cycle 0, 1, ..., so clip i asks for digit i % K.
    let (clips, seconds) = try timed { try model.sample(count: n, label: nil, using: &g) }
    let labels = (0..<n).map { $0 % max(model.classCount, 1) }
    if options.wants("samples_per_s") {
      report.metrics.append(MetricResult(name: "samples_per_s", value: Double(n) / max(seconds, 1e-9), unit: "clips/s", better: .higher))
    }
    let held = try HeldOutData.audio(override ?? spec, isOverride: override != nil, directory: dataDirectory)
    var unused = SeededGenerator(seed: 0)
    let heldBatch = held.map { $0.set.makeBatch(indices: Array(0..<$0.set.count), generator: &unused) }
    let heldClips = heldBatch.map { $0.inputs.reshaped([$0.inputs.shape[0], $0.inputs.count / $0.inputs.shape[0]]) }
    if options.wantsAny(["silent", "clipped"]) {
      let (silent, clipped) = AudioMetrics.silentAndClipped(clips)
      let real = heldClips.map(AudioMetrics.silentAndClipped)
      report.metrics.append(MetricResult(name: "silent", value: silent, ceiling: real?.0, better: .lower, detail: "share of clips with RMS < 0.005"))
      report.metrics.append(MetricResult(name: "clipped", value: clipped, ceiling: real?.1, better: .lower, detail: "share with more than 8 samples at |x| ≥ 0.999"))
    }
    var fields: [ProtocolCard.Field] = [
      .init("samples", "\(n) generated clips, digits 0-9 in turn, seed \(options.seed)"),
      .init("ceiling", held.map { "\(heldClips!.shape[0]) real clips: \($0.origin)" } ?? "none"),
    ]
    guard options.wantsAny(["accuracy", "is", "fid", "kid"]), let network = try featureNetwork(&report) else {
      report.protocols.append(ProtocolCard(metrics: "silent, clipped, samples_per_s", fields: fields))
      return
    }
    let quality = SampleQuality(network: network)
    let generated = try quality.describe(clips)
    let heldOut = try heldClips.map(quality.describe)
    if options.wants("accuracy") {
      let accuracy = Double(zip(generated.predictions, labels).filter { $0 == $1 }.count) / Double(n)
      let real = zip(heldOut?.predictions ?? [], heldBatch?.labels?.values ?? []).filter { $0 == $1 }.count
      report.metrics.append(MetricResult(
        name: "accuracy", value: accuracy, ceiling: heldOut.map { _ in Double(real) / Double(heldClips!.shape[0]) }, better: .higher,
        detail: "the feature network hears the digit that was asked for"))
    }
    // The reference for FID/KID: the real training clips (all voices but the held-out ones).
    let reference: SampleQuality.Described
    if let cached = audioReferenceCache {
      reference = cached
    } else {
      let data = try TrainingData.load(spec, as: .audio, directory: dataDirectory, trainingSplit: true)
      reference = try quality.describe(data.source.makeBatch(indices: Array(0..<min(options.referenceCount, data.count)), generator: &unused).inputs)
      audioReferenceCache = reference
    }
    var kid = generator(7)
    var subset = options
    subset.metrics = Set(["is", "fid", "kid"].filter(options.wants))
    try quality.measure(generated: generated, reference: reference, heldOut: options.ceilings ? heldOut : nil, options: subset, generator: &kid, into: &report)
    fields.insert(contentsOf: network.cardFields, at: 0)
    fields.append(.init("reference", "real training clips of the other 24 voices"))
    fields.append(.init("preprocessing", "8 kHz clips of 1 s; the network's own log-mel front end (40 bands)"))
    report.protocols.append(ProtocolCard(metrics: "accuracy, is, fid, kid, silent, clipped, samples_per_s", fields: fields))
  }

  /// A classifier run's accuracy on held-out data (the test images, or the unseen voices) and on
  /// a sample of its training data.
  func classifierMetrics(_ classifier: any FeatureClassifier, into report: inout EvaluationReport) throws {
    guard options.wantsAny(["test_accuracy", "train_accuracy"]) else { return }
    let target = override ?? spec
    var origin = ""
    var accuracy: Double?
    if target.kind == .audio, let held = try HeldOutData.audio(target, isOverride: override != nil, directory: dataDirectory) {
      accuracy = try classifier.accuracy(on: held.set)
      origin = held.origin
    } else if let held = try HeldOutData.images(target, isOverride: override != nil, directory: dataDirectory, range: .minusOneToOne, limit: 10_000) {
      let labels = try held.labels.map(IndexTensor.init) ?? { throw TrainingError("the held-out images have no labels") }()
      let predicted = try classifier.predictions(held.images)
      accuracy = Double(zip(predicted, labels.values).filter { $0 == $1 }.count) / Double(labels.count)
      origin = "\(held.images.shape[0]) images: \(held.origin)"
    }
    if let accuracy, options.wants("test_accuracy") {
      report.metrics.append(MetricResult(name: "test_accuracy", value: accuracy, better: .higher, detail: "held out"))
    } else if accuracy == nil {
      report.warnings.append("no held-out data for \(spec): pass --data to measure the test accuracy")
    }
    if options.wants("train_accuracy") {
      let data = try TrainingData.load(spec, as: .audio, directory: dataDirectory, trainingSplit: true)
      var g = generator(8)
      let indices = Array(Array(0..<data.count).shuffled(using: &g).prefix(2000))
      var unused = SeededGenerator(seed: 0)
      let batch = data.source.makeBatch(indices: indices, generator: &unused)
      let predicted = try classifier.predictions(batch.inputs)
      let train = Double(zip(predicted, batch.labels?.values ?? []).filter { $0 == $1 }.count) / Double(indices.count)
      report.metrics.append(MetricResult(name: "train_accuracy", value: train, better: .higher, detail: "\(indices.count) random training items"))
    }
    report.protocols.append(ProtocolCard(metrics: "test_accuracy, train_accuracy", fields: [
      .init("held-out data", origin.isEmpty ? "none" : origin),
      .init("classes", "\(classifier.classCount): \((config?.classNames ?? []).joined(separator: ", "))"),
    ]))
  }
}
