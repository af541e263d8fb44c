import GenAINN
import GenAITensor

/// Differentiable augmentation for GAN discriminators (Zhao et al., "Differentiable Augmentation
/// for Data-Efficient GAN Training", NeurIPS 2020, policy `color,translation,cutout` for grey
/// images): every image D sees, real or fake, is transformed by composed differentiable ops, so
/// G's gradient flows back through the transform and G is not taught to produce augmented images.
///
/// For images `[N, C, H, W]` in [-1, 1], per image:
/// - brightness: `x + (b − 0.5)`, `b ~ U[0, 1)`;
/// - contrast: `(x − mean(x)) · (c + 0.5) + mean(x)`, `c ~ U[0, 1)`;
/// - translation by whole pixels `(dy, dx)`, each in `−H/8...H/8` (`W/8`), zeros shifted in;
/// - cutout: a square of side `H/2` (`W/2`) at a random place set to 0.
///
/// Every draw comes from `noise` (the generator's stream, shard-aware), so a run reproduces.
enum DiffAugment {
  static func apply(_ x: Tensor, noise: RandomSource) -> Tensor {
    let n = x.shape[0]
    let brightness = noise.uniform(batchShape: [n, 1, 1, 1]) - 0.5
    let contrast = noise.uniform(batchShape: [n, 1, 1, 1]) + 0.5
    var h = x + brightness
    let mean = h.mean(axes: [1, 2, 3], keepDims: true)
    h = (h - mean) * contrast + mean
    return cutout(translate(h, noise: noise), noise: noise)
  }

  /// `x` shifted by up to 1/8 of its size, zeros shifted in: the image padded by that margin, then
  /// each output pixel gathered from its shifted place (`gather`'s pullback scatters back).
  static func translate(_ x: Tensor, noise: RandomSource) -> Tensor {
    let (n, c, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (my, mx) = (height / 8, width / 8)
    let shifts = noise.uniform(batchShape: [n, 2]).scalars
    let (ph, pw) = (height + 2 * my, width + 2 * mx)
    let padded = x.padded([(0, 0), (0, 0), (my, my), (mx, mx)]).reshaped([n, c * ph * pw])
    var indices = [Int]()
    indices.reserveCapacity(n * c * height * width)
    for i in 0..<n {
      let dy = Int(shifts[2 * i] * Float(2 * my + 1)).clamped(0, 2 * my)
      let dx = Int(shifts[2 * i + 1] * Float(2 * mx + 1)).clamped(0, 2 * mx)
      for ch in 0..<c {
        for y in 0..<height {
          for xx in 0..<width { indices.append(ch * ph * pw + (y + dy) * pw + xx + dx) }
        }
      }
    }
    let index = try! IndexTensor(shape: [n, c * height * width], indices)  // shape built to match
    return padded.gather(index, alongAxis: 1).reshaped(x.shape)
  }

  /// `x` with a square of half its size, centred at a random place (partly outside the image
  /// allowed), set to 0.
  static func cutout(_ x: Tensor, noise: RandomSource) -> Tensor {
    let (n, height, width) = (x.shape[0], x.shape[2], x.shape[3])
    let (sh, sw) = (height / 2, width / 2)
    let centres = noise.uniform(batchShape: [n, 2]).scalars
    var mask = [Float](repeating: 1, count: n * height * width)
    for i in 0..<n {
      let cy = Int(centres[2 * i] * Float(height + 1 - sh % 2)).clamped(0, height)
      let cx = Int(centres[2 * i + 1] * Float(width + 1 - sw % 2)).clamped(0, width)
      for y in max(0, cy - sh / 2)..<min(height, cy - sh / 2 + sh) {
        for xx in max(0, cx - sw / 2)..<min(width, cx - sw / 2 + sw) { mask[i * height * width + y * width + xx] = 0 }
      }
    }
    return x * (try! Tensor(shape: [n, 1, height, width], mask))  // n·height·width values by construction
  }
}

extension Int {
  fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
