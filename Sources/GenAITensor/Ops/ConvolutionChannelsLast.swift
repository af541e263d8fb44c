import CGenAIKernels

/// The three products of a 2-D convolution on channels-last tensors (`conv_nhwc.c`): x side
/// `[N, H, W, C]`, y side `[N, OH, OW, O]`, weight `[O, C, KH, KW]` as in PyTorch.
///
///     convolutionChannelsLast(x, w)            y  = conv(x, w)      [N, OH, OW, O]
///     convolutionTransposeChannelsLast(y, w)   x' = convᵀ(y, w)     [N, H, W, C]
///     convolutionWeightGradientChannelsLast    w' = Σ y ⊗ window(x) [O, C, KH, KW]
///
/// The same bilinear form as `ConvolutionProducts.swift` read three ways, so each one's pullback
/// is the other two. Channels-last, a window tap is C contiguous floats: the forward and
/// transposed products read their input in place (no im2col, no scatter back into windows) and
/// the weight gradient's packers copy whole rows. On a 2-core Sapphire Rapids, one core, the
/// VAE's 3x3 products over 32-64 channels ran 1.12-1.51x (forward), 1.21-1.59x (transposed, the
/// NCHW one's bias fill included) and 1.22-1.38x (weight gradient) the NCHW products' speed on
/// AVX-512, 1.20-1.64x on AVX2 (`Benchmarks/conv_ab/channels_last.c`).
extension Tensor {
  /// `conv(x, w) + bias`: x `[N, H, W, C]`, w `[O, C, KH, KW]`, bias `[O]` → `[N, OH, OW, O]`.
  static func convolutionChannelsLast(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
    let (n, c, o) = (x.shape[0], x.shape[3], w.shape[0])
    let (oh, ow) = g.output
    let out = Storage(uninitializedCount: n * oh * ow * o)
    ChannelsLastConvolution.forward(
      g.kernelShape(batch: n, channels: c, outputs: o), x: x.storage.base, w: w.storage.base,
      bias: bias?.storage.base, out: out.base)
    var inputs = [x, w]
    if let bias { inputs.append(bias) }
    return record(.convolutionChannelsLast, shape: [n, oh, ow, o], storage: out, inputs: inputs) { gy, _, xs in
      var grads: [Tensor?] = [
        xs[0].requiresGrad ? convolutionTransposeChannelsLast(gy, xs[1], bias: nil, g) : nil,
        xs[1].requiresGrad ? convolutionWeightGradientChannelsLast(xs[0], gy, g) : nil,
      ]
      if xs.count == 3 { grads.append(xs[2].requiresGrad ? gy.sum(axes: [0, 1, 2]) : nil) }
      return grads
    }
  }

  /// `convᵀ(y, w) + bias`: y `[N, OH, OW, O]`, w `[O, C, KH, KW]`, bias `[C]` → `[N, H, W, C]` with
  /// `(H, W) = g.input`. The adjoint of `convolutionChannelsLast` in its first argument.
  static func convolutionTransposeChannelsLast(_ y: Tensor, _ w: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
    let (n, o, c) = (y.shape[0], y.shape[3], w.shape[1])
    let out = Storage(uninitializedCount: n * g.input.0 * g.input.1 * c)
    ChannelsLastConvolution.transpose(
      g.kernelShape(batch: n, channels: c, outputs: o), y: y.storage.base, w: w.storage.base,
      bias: bias?.storage.base, out: out.base)
    var inputs = [y, w]
    if let bias { inputs.append(bias) }
    return record(.convolutionTransposeChannelsLast, shape: [n, g.input.0, g.input.1, c], storage: out, inputs: inputs) {
      gx, _, xs in
      var grads: [Tensor?] = [
        xs[0].requiresGrad ? convolutionChannelsLast(gx, xs[1], bias: nil, g) : nil,
        xs[1].requiresGrad ? convolutionWeightGradientChannelsLast(gx, xs[0], g) : nil,
      ]
      if xs.count == 3 { grads.append(xs[2].requiresGrad ? gx.sum(axes: [0, 1, 2]) : nil) }
      return grads
    }
  }

  /// The weight gradient of `convolutionChannelsLast`: x `[N, H, W, C]` and y `[N, OH, OW, O]` →
  /// `Σ_{n, oy, ox} y[n, oy, ox, o] · x[n, window, c]`, shape `[O, C, KH, KW]`.
  static func convolutionWeightGradientChannelsLast(_ x: Tensor, _ y: Tensor, _ g: ConvGeometry) -> Tensor {
    let (n, c, o) = (x.shape[0], x.shape[3], y.shape[3])
    let (kh, kw) = g.kernel
    let out = Storage(uninitializedCount: o * c * kh * kw)
    ChannelsLastConvolution.weightGradient(
      g.kernelShape(batch: n, channels: c, outputs: o), x: x.storage.base, y: y.storage.base, out: out.base)
    return record(.convolutionWeightGradientChannelsLast, shape: [o, c, kh, kw], storage: out, inputs: [x, y]) {
      gw, _, xs in
      [
        xs[0].requiresGrad ? convolutionTransposeChannelsLast(xs[1], gw, bias: nil, g) : nil,
        xs[1].requiresGrad ? convolutionChannelsLast(xs[0], gw, bias: nil, g) : nil,
      ]
    }
  }
}

/// Runs the channels-last products over the thread pool.
enum ChannelsLastConvolution {
  /// Packs a product's weight for `outputs` outputs of `depth` multiply-adds: panels spread over
  /// the pool, or one call for a narrow product (`genai_conv_nhwc_narrow`).
  private static func packed(
    outputs: Int, depth: Int, path: Int32, _ pack: (Int, Int, UnsafeMutablePointer<Float>) -> Void
  ) -> Storage {
    let storage = Storage(uninitializedCount: Swift.max(1, genai_conv_nhwc_packed_size(path, outputs, depth)))
    if genai_conv_nhwc_narrow(outputs) != 0 {
      pack(0, 1, storage.base)
    } else {
      let nr = genai_conv_direct_nr(path)
      parallelFor((outputs + nr - 1) / nr, grain: 1) { r in pack(r.lowerBound, r.upperBound, storage.base) }
    }
    return storage
  }

  /// Calls `body` on ranges of `pixels` output pixels, four per thread claimed as threads come
  /// free (a pixel's sums do not depend on its range).
  private static func overPixels(_ pixels: Int, _ body: (Int, Int) -> Void) {
    let pool = ThreadPool.shared
    let ranges = Swift.max(1, Swift.min(pixels / 96, 4 * pool.threadCount))
    pool.run(chunks: ranges) { i in body(pixels * i / ranges, pixels * (i + 1) / ranges) }
  }

  static func forward(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    out: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    let pixels = s.n * s.oh * s.ow
    guard pixels > 0 && s.o > 0 else { return }
    let path = genai_path_active()
    withUnsafePointer(to: shape) { sp in
      let wp = packed(outputs: s.o, depth: s.kh * s.kw * s.c, path: path) { q0, q1, dst in
        genai_conv_nhwc_pack_weights(path, sp, w, q0, q1, dst)
      }
      overPixels(pixels) { p0, p1 in genai_conv_nhwc_forward(path, sp, x, wp.base, bias, p0, p1, out) }
    }
  }

  static func transpose(
    _ shape: genai_conv_shape, y: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    out: UnsafeMutablePointer<Float>
  ) {
    let s = shape
    guard s.n * s.h * s.w * s.c > 0 else { return }
    let path = genai_path_active()
    withUnsafePointer(to: shape) { sp in
      // Each output phase is its own product: every x-side pixel is written by exactly one.
      for a in 0..<s.sh {
        for b in 0..<s.sw {
          let pixels = genai_conv_nhwc_phase_pixels(sp, a, b)
          guard pixels > 0 else { continue }
          let taps = genai_conv_nhwc_phase_taps(sp, a, b)
          let wp = packed(outputs: s.c, depth: Swift.max(taps, 1) * s.o, path: path) { q0, q1, dst in
            genai_conv_nhwc_pack_phase_weights(path, sp, a, b, w, q0, q1, dst)
          }
          overPixels(pixels) { p0, p1 in genai_conv_nhwc_transpose_phase(path, sp, a, b, y, wp.base, bias, p0, p1, out) }
        }
      }
    }
  }

  /// By batch chunks as the channels-first weight gradient (`ConvolutionKernels.weightGradientByChunks`).
  static func weightGradient(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, y: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
  ) {
    ConvolutionKernels.weightGradientByChunks(shape, x: x, y: y, out: out, genai_conv_nhwc_weight_grad_run)
  }
}
