import Foundation
import GenAIData
import GenAIModels
import GenAITensor

extension Evaluator {
  /// The VAE's held-out ELBO and importance-weighted bound (nats per image, bits per dimension).
  func vaeLikelihood(_ vae: any ImageLikelihoodModel, into report: inout EvaluationReport) throws {
    guard let heldOut = try HeldOutData.images(
      override ?? spec, isOverride: override != nil, directory: dataDirectory, range: vae.pixelRange, limit: options.likelihoodImages)
    else {
      report.warnings.append("no held-out images for \(spec): pass --data to measure the VAE's likelihood")
      return
    }
    var g = generator(2)
    let k = options.importanceSamples
    let bounds = try vae.logLikelihood(heldOut.images, samples: k, chunk: 100, using: &g)
    let n = heldOut.images.shape[0]
    report.metrics.append(MetricResult(
      name: "elbo", value: bounds.meanELBO, unit: "nats", better: .higher,
      detail: String(format: "−ELBO = %.4f bits/dim", -bounds.bitsPerDimension(bounds.meanELBO))))
    report.metrics.append(MetricResult(
      name: "iw_nll", value: -bounds.meanImportanceWeighted, unit: "nats", better: .lower, detail: "k = \(k)"))
    report.metrics.append(MetricResult(
      name: "bits_per_dim", value: bounds.bitsPerDimension(-bounds.meanImportanceWeighted), unit: "bits/dim", better: .lower, detail: "from iw_nll"))
    report.protocols.append(ProtocolCard(metrics: "elbo, iw_nll, bits_per_dim", fields: [
      .init("data", "\(n) held-out images: \(heldOut.origin), pixels in [0, 1]"),
      .init("likelihood", "\(vae.likelihood.rawValue) decoder with all constants; the ELBO is the mean of log w over the same \(k) draws, so IW ≥ ELBO per image"),
      .init("caveat", vae.likelihood == .bernoulli
        ? "a Bernoulli likelihood of grey (not binary) pixels is not a proper density: compare these numbers between our runs, not with binarised-MNIST papers"
        : "a continuous density of 8-bit pixels without dequantisation: compare between our runs only"),
      .init("seed", String(options.seed)),
    ]))
  }
}
