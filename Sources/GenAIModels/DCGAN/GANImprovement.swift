/// One change from the literature to the article's DCGAN (`DCGAN`), switched on per run: the
/// `dcgan-plus` recipe uses `GANImprovement.recommended`, plain `dcgan` none, and
/// `genai train dcgan --improvements ema,ttur` any mix (saved in `config.json` as
/// `ganImprovements`; `genai train vaegan --improvements ema` takes `ema`, the one that carries
/// over to the VAE-GAN). Each was measured against the plain Keras DCGAN on Fashion-MNIST
/// (`Benchmarks/dcgan_quality.py`); the README's quality table has the figures.
public enum GANImprovement: String, CaseIterable, Codable, Comparable, Sendable {
  /// Sample from an exponential moving average of G's weights and batch-norm statistics
  /// (Yazıcı et al. 2019), decay `min(0.999, (1 + n) / (10 + n))` after G's step `n`.
  case ema
  /// Two time-scale learning rates (Heusel et al. 2017): D at twice the base rate, G at half.
  case ttur
  /// The hinge loss (Lim & Ye 2017; Miyato et al. 2018): `L_D = E[relu(1 − D(x))] +
  /// E[relu(1 + D(G(z)))]`, `L_G = −E[D(G(z))]`, instead of binary cross-entropy.
  case hinge
  /// Spectral normalisation of every D layer's weight (Miyato et al. 2018).
  case spectralNorm = "spectral-norm"
  /// Differentiable augmentation (Zhao et al. 2020) of every image D sees, real and fake, in both
  /// updates: brightness, contrast, translation by up to 1/8 of the size, cutout of half the size.
  case diffAugment = "diffaugment"
  /// Nearest-neighbour upsampling then a 3x3 convolution in G's two upsampling layers, instead of
  /// stride-2 transposed convolutions (Odena et al. 2016: no checkerboard).
  case upsample

  /// What `dcgan-plus` uses: the averaged generator, the one change that paid in the
  /// measurements without costing later (docs/gan-quality.md). TTUR helped after one epoch but
  /// left `ema,ttur` behind plain `dcgan` after five (FID 12.4 against 10.2 at 4,685 steps).
  public static let recommended: Set<GANImprovement> = [.ema]

  /// Improvements in declaration order.
  public static func < (a: GANImprovement, b: GANImprovement) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// `ema, ttur`, or `none`.
  public static func describe(_ set: Set<GANImprovement>) -> String {
    set.isEmpty ? "none" : set.sorted().map(\.rawValue).joined(separator: ", ")
  }
}
