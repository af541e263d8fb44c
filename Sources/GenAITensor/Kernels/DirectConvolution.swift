import CGenAIKernels

/// Convolutions computed directly from a zero-padded channels-last copy of their input
/// (`conv_direct.c`): the input is transposed once, the weight packed once, and every output
/// pixel's `KH·KW·C` multiply-adds read the copy in place, where the implicit GEMM packs an
/// im2col column per pixel for every product.
///
/// It pays where each pixel has many multiply-adds to spread the two transposes over: on a
/// 2-core Sapphire Rapids (AVX-512), one core, the DCGAN's 5x5 products over 64-128 channels ran
/// 1.10-1.82x the implicit GEMM's speed, the VAE's 3x3 ones over 32-64 channels 0.66-1.10x.
enum DirectConvolution {
  /// Products with at least this many multiply-adds per output element (`KH·KW·C`) go direct.
  static let minimumDepth = 1024

  /// Whether `shape` (a forward convolution) is computed directly.
  static func applies(_ s: genai_conv_shape) -> Bool {
    s.dh == 1 && s.dw == 1 && s.kh * s.kw * s.c >= minimumDepth && s.o >= 16 && s.n > 0
  }

  /// `out = conv(x, w) + bias` for the forward geometry `s`: x `[N, C, H, W]`, out
  /// `[N, O, OH, OW]`, w `[O, C, KH, KW]`, or with `flipped` `[C, O, KH, KW]` read with both kernel
  /// axes reversed (a stride-1 transposed convolution), bias `[O]` or nil.
  static func forward(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, flipped: Bool,
    bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    let path = genai_path_active()
    let nr = genai_conv_direct_nr(path)
    let panels = (s.o + nr - 1) / nr
    let depth = s.kh * s.kw * s.c
    let pixels = s.n * s.oh * s.ow
    withUnsafePointer(to: shape) { sp in
      let (hp, wp) = (genai_conv_direct_padded_height(sp), genai_conv_direct_padded_width(sp))
      let packed = Storage(uninitializedCount: panels * depth * nr)
      let padded = Storage(uninitializedCount: s.n * hp * wp * s.c)
      let channelsLast = Storage(uninitializedCount: pixels * s.o)
      parallelFor(panels, grain: 1) { r in
        genai_conv_direct_pack_weights(path, sp, w, flipped ? 1 : 0, r.lowerBound, r.upperBound, packed.base)
      }
      let image = hp * wp * s.c
      parallelFor(s.n, grain: Swift.max(1, Kernels.grain / Swift.max(image, 1))) { r in
        genai_conv_direct_pad_input(path, sp, x, r.lowerBound, r.upperBound, padded.base)
      }
      // Four ranges of pixels per thread, claimed as threads come free, so that a thread slowed
      // by other work on its core does not hold the product up (a pixel's sum is the same in
      // any range). ~100 pixels are ≥ 6 MFLOP here, well above the cost of a dispatch.
      let pool = ThreadPool.shared
      let ranges = Swift.max(1, Swift.min(pixels / 96, 4 * pool.threadCount))
      pool.run(chunks: ranges) { i in
        let (p0, p1) = (pixels * i / ranges, pixels * (i + 1) / ranges)
        genai_conv_direct_tiles(path, sp, padded.base, packed.base, bias, p0, p1, channelsLast.base, s.o)
      }
      let plane = s.oh * s.ow * s.o
      parallelFor(s.n, grain: Swift.max(1, Kernels.grain / Swift.max(plane, 1))) { r in
        genai_conv_direct_to_nchw(path, sp, channelsLast.base, s.o, r.lowerBound, r.upperBound, out)
      }
    }
  }
}

extension genai_conv_shape {
  /// A stride-1, dilation-1 transposed convolution of this geometry (y side in, x side out) as
  /// the forward convolution it equals: input channels O at `(OH, OW)`, output channels C at
  /// `(H, W)`, pads `K − 1 − pad`, weight flipped (`DirectConvolution.forward(flipped: true)`).
  var transposedAsForward: genai_conv_shape? {
    guard sh == 1 && sw == 1 && dh == 1 && dw == 1 else { return nil }
    return genai_conv_shape(
      n: n, c: o, h: oh, w: ow, o: c, oh: h, ow: w, kh: kh, kw: kw, sh: 1, sw: 1, dh: 1, dw: 1,
      pt: kh - 1 - pt, pl: kw - 1 - pl)
  }
}
