import GenAINN
import GenAITensor

/// How the DCGAN networks' weights start.
public enum DCGANInitialization: String, Codable, Sendable {
  /// Keras's defaults, as the article's Keras model and `../shared/bench/dcgan.py` start: weights
  /// Glorot-uniform `±√(6 / (fanIn + fanOut))`, biases zero.
  case keras
  /// Radford et al. 2016 (and PyTorch's DCGAN tutorial): weights from N(0, 0.02), biases as
  /// PyTorch's default `±1/√fanIn`.
  case paper

  /// The weight initialiser.
  var weights: Initializer {
    switch self {
    case .keras: return .glorotUniform
    case .paper: return .normal(mean: 0, std: 0.02)
    }
  }

  /// Sets every bias of `module`'s layers to zero with `.keras`; leaves them with `.paper`.
  func initializeBiases(of module: Module) {
    guard self == .keras else { return }
    for (name, tensor) in module.namedParameters() where name.hasSuffix("bias") && !name.contains("bn") {
      let base = tensor.storage.base
      for i in 0..<tensor.count { base[i] = 0 }
    }
  }
}
