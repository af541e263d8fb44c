/// Which network a VAE recipe builds (`vaeArchitecture` in a run's `config.json`).
public enum VAEArchitecture: String, NamedOption {
  /// Convolutional, as ../shared/bench/vae.py (`ConvVAE`, latent size 16).
  case conv
  /// Fully connected 784-400-20, as Kingma & Welling's MNIST model (`MLPVAE`).
  case mlp

  /// A new network of this architecture with its default sizes, initialised from `seed`.
  public func network(seed: UInt64) -> any VAENetwork {
    switch self {
    case .conv: return ConvVAE(seed: seed)
    case .mlp: return MLPVAE(seed: seed)
    }
  }
}
