import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

extension Evaluator {
  /// Validation loss, perplexity and bits per character on held-out text; novelty and repetition
  /// of generated text, with a real held-out passage of the same length as the ceiling.
  func textMetrics(_ model: any TextGenerating, into report: inout EvaluationReport) throws {
    let characters = options.samples ?? 2000
    let training = TrainingData.textURL(spec, in: dataDirectory).flatMap { try? TextCorpus(contentsOf: $0).text }
    let heldOut = try HeldOutData.text(override ?? spec, isOverride: override != nil, directory: dataDirectory)
    var fields: [ProtocolCard.Field] = []
    if options.wantsAny(["val_loss", "perplexity", "bits_per_char"]) {
      if let heldOut {
        let (ids, dropped) = Self.encodeKnown(heldOut.text, vocabulary: model.vocabulary)
        let loss = try model.characterLoss(ids: ids)
        report.metrics.append(MetricResult(name: "val_loss", value: loss.nats, unit: "nats/char", better: .lower, detail: "\(loss.characters) characters"))
        report.metrics.append(MetricResult(name: "perplexity", value: TextMetrics.perplexity(nats: loss.nats), better: .lower))
        report.metrics.append(MetricResult(name: "bits_per_char", value: TextMetrics.bitsPerCharacter(nats: loss.nats), unit: "bits/char", better: .lower))
        fields.append(.init("held-out text", heldOut.origin + (dropped > 0 ? " (\(dropped) characters outside the vocabulary skipped)" : "")))
        fields.append(.init("windows", "up to 400 non-overlapping windows of \(model.contextLength + 1) characters, spread evenly, empty context at each start"))
      } else {
        report.warnings.append("no held-out text for \(spec): pass --data text:PATH to measure the validation loss")
      }
      if let training, options.wants("train_loss") {
        let (ids, _) = Self.encodeKnown(String(training.prefix(400_000)), vocabulary: model.vocabulary)
        let loss = try model.characterLoss(ids: ids)
        report.metrics.append(MetricResult(name: "train_loss", value: loss.nats, unit: "nats/char", better: .lower, detail: "same windows on the training text"))
      }
    }
    guard options.wantsAny(["novelty", "repetition", "samples_per_s"]) else {
      if !fields.isEmpty { report.protocols.append(ProtocolCard(metrics: "val_loss, perplexity, bits_per_char", fields: fields)) }
      return
    }
    var g = generator(1)
    let (text, seconds) = try timed { try model.sample(length: characters, using: &g) }
    let real = heldOut.map { String($0.text.prefix(characters)) }
    if let training {
      let novelty = try TextMetrics.novelty(generated: text, training: training)
      let ceiling = try real.map { try TextMetrics.novelty(generated: $0, training: training) }
      report.metrics.append(MetricResult(name: "novelty", value: novelty, ceiling: ceiling, better: .none, detail: "share of 8-grams not in the training text"))
    }
    let repetition = try TextMetrics.repetitionRate(text)
    let realRepetition = try real.map { try TextMetrics.repetitionRate($0) }
    report.metrics.append(MetricResult(name: "repetition", value: repetition, ceiling: realRepetition, better: .lower, detail: "share of 8-grams seen earlier in the same text"))
    report.metrics.append(MetricResult(name: "samples_per_s", value: Double(characters) / max(seconds, 1e-9), unit: "chars/s", better: .higher))
    fields.append(.init("generated", "\(characters) characters, temperature 1, no top-k/top-p, seed \(options.seed)"))
    if let real { fields.append(.init("ceiling", "the first \(real.count) characters of the held-out text")) }
    report.protocols.append(ProtocolCard(metrics: "val_loss, perplexity, bits_per_char, novelty, repetition", fields: fields))
  }

  /// `text` as ids of `vocabulary`, skipping characters it lacks; also returns how many were skipped.
  static func encodeKnown(_ text: String, vocabulary: Vocabulary) -> (ids: [Int], dropped: Int) {
    var ids = [Int]()
    var dropped = 0
    ids.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      if let id = vocabulary.id(of: scalar) { ids.append(id) } else { dropped += 1 }
    }
    return (ids, dropped)
  }
}
