import GenAINN
import GenAITensor

/// A variational auto-encoder's pair of networks: an encoder `q(z|x)` giving the mean and log
/// variance of a diagonal Gaussian over the latent code, and a decoder `p(x|z)` giving the
/// parameters of the pixel likelihood (logits for Bernoulli, the mean for Gaussian/L1).
///
/// The network also owns `noise`, the generator that draws the reparameterisation noise `ε`, so
/// a `TrainingCheckpoint` of the network saves and restores it and resumed training is exact.
public protocol VAENetwork: Module {
  /// The latent size `D`.
  var latentSize: Int { get }
  /// The image shape `[C, H, W]` the network reads and writes.
  var imageShape: [Int] { get }
  /// The generator of the reparameterisation noise `ε ~ N(0, I)`.
  var noise: RandomSource { get }
  /// Images `[N, C, H, W]` → `(mean [N, D], logVariance [N, D])`.
  func encode(_ x: Tensor) -> (mean: Tensor, logVariance: Tensor)
  /// Latent codes `[N, D]` → decoder outputs `[N, C, H, W]` (logits or means, by likelihood).
  func decode(_ z: Tensor) -> Tensor
}

extension VAENetwork {
  /// The reparameterisation trick: `z = μ + e^{½·logσ²} · ε` with `ε ~ N(0, I)` drawn from
  /// `noise`; `mean` and `logVariance` are `[N, D]`, so is `z`. Gradients flow to both inputs.
  public func reparameterize(mean: Tensor, logVariance: Tensor) -> Tensor {
    let eps = noise.normal(batchShape: mean.shape)
    return mean + (logVariance * 0.5).exp() * eps
  }
}
