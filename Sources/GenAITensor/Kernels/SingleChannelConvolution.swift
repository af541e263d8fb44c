import CGenAIKernels

/// Convolution products whose x side has one channel and a small kernel (an image model's first
/// layer, a decoder's last: `conv_single.c`). Each image's im2col columns are built once and
/// register blocks write every output element once, where the implicit GEMM's K of `KH·KW`
/// taps is too short for its micro-kernel (the VAE's 3x3 layers over 28x28x32 ran at a sixth of
/// the core's peak). The weight gradient comes here from `genai_conv_weight_grad_run` itself.
enum SingleChannelConvolution {
  /// Whether `shape` takes these products.
  static func applies(_ shape: genai_conv_shape) -> Bool {
    withUnsafePointer(to: shape) { genai_conv_single_applies($0) != 0 }
  }

  /// `out = conv(x, w) + bias`: x `[N, 1, H, W]`, w `[O, 1, KH, KW]`, bias `[O]` or nil, out
  /// `[N, O, OH, OW]`.
  static func forward(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    out: UnsafeMutablePointer<Float>
  ) {
    overImages(shape) { path, s, n0, n1 in genai_conv_single_forward(path, s, x, w, bias, n0, n1, out) }
  }

  /// `out = convᵀ(y, w) + bias`: y `[N, O, OH, OW]`, w `[O, 1, KH, KW]`, bias `[1]` or nil, out
  /// `[N, 1, H, W]` (assigned).
  static func transpose(
    _ shape: genai_conv_shape, y: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    out: UnsafeMutablePointer<Float>
  ) {
    overImages(shape) { path, s, n0, n1 in genai_conv_single_transpose(path, s, y, w, bias, n0, n1, out) }
  }

  /// Runs `body(path, shape, n0, n1)` on ranges of images spread over the pool: up to four per
  /// thread, claimed as threads come free (a thread slowed by other work on its core does not
  /// hold the product up), none under ~32K multiply-adds. Every image's result is the same in
  /// any range.
  private static func overImages(
    _ shape: genai_conv_shape, _ body: (Int32, UnsafePointer<genai_conv_shape>, Int, Int) -> Void
  ) {
    let path = genai_path_active()
    let image = Swift.max(1, shape.o * shape.oh * shape.ow * shape.kh * shape.kw)
    let pool = ThreadPool.shared
    let ranges = Swift.max(1, Swift.min(shape.n, 4 * pool.threadCount, shape.n * image / Kernels.grain))
    withUnsafePointer(to: shape) { sp in
      pool.run(chunks: ranges) { i in body(path, sp, shape.n * i / ranges, shape.n * (i + 1) / ranges) }
    }
  }
}
