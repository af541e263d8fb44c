import CGenAIKernels

/// The three products of a 2-D convolution, computed as implicit GEMMs by `CGenAIKernels` (the
/// im2col happens inside the packing, results land straight in NCHW planes, and the transposed
/// product adds its tiles back into their windows), so none of them materialises a column
/// matrix or permutes a layout.
///
/// For a geometry `g` from an "x side" `[N, C, H, W]` to a "y side" `[N, O, OH, OW]` with weight
/// `w` `[O, C, KH, KW]`:
///
///     convolution(x, w)            y  = conv(x, w)                 [N, O, OH, OW]
///     convolutionTranspose(y, w)   x' = convᵀ(y, w)                [N, C, H, W]
///     convolutionWeightGradient    w' = Σₙ y ⋆ x (x, y ↦ [O, C, KH, KW])
///
/// The three are one bilinear form read three ways, so each one's pullback is the other two:
/// `conv`: (convᵀ(g, w), wgrad(x, g)); `convᵀ`: (conv(g, w), wgrad(g, y)); `wgrad`: (convᵀ(y, g),
/// conv(x, g)). Gradients of any order follow.
extension Tensor {
  /// `conv(x, w) + bias`: x `[N, C, H, W]`, w `[O, C, KH, KW]`, bias `[O]` → `[N, O, OH, OW]`.
  static func convolution(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
    let (n, c, o) = (x.shape[0], x.shape[1], w.shape[0])
    let (oh, ow) = g.output
    let out = Storage(uninitializedCount: n * o * oh * ow)
    let shape = g.kernelShape(batch: n, channels: c, outputs: o)
    if DirectConvolution.applies(shape) {
      DirectConvolution.forward(
        shape, x: x.storage.base, w: w.storage.base, flipped: false, bias: bias?.storage.base, out: out.base)
    } else if SingleChannelConvolution.applies(shape) {
      SingleChannelConvolution.forward(shape, x: x.storage.base, w: w.storage.base, bias: bias?.storage.base, out: out.base)
    } else {
      ConvolutionKernels.run(genai_conv_forward_op, shape, x: x.storage.base, w: w.storage.base,
                             bias: bias?.storage.base, out: out.base)
    }
    var inputs = [x, w]
    if let bias { inputs.append(bias) }
    return record(.convolution, shape: [n, o, oh, ow], storage: out, inputs: inputs) { gy, _, xs in
      var grads: [Tensor?] = [
        xs[0].requiresGrad ? convolutionTranspose(gy, xs[1], bias: nil, g) : nil,
        xs[1].requiresGrad ? convolutionWeightGradient(xs[0], gy, g) : nil,
      ]
      if xs.count == 3 { grads.append(xs[2].requiresGrad ? gy.sum(axes: [0, 2, 3]) : nil) }
      return grads
    }
  }

  /// `convᵀ(y, w) + bias`: y `[N, O, OH, OW]`, w `[O, C, KH, KW]`, bias `[C]` → `[N, C, H, W]`
  /// with `(H, W) = g.input`. The adjoint of `convolution` in its first argument.
  static func convolutionTranspose(_ y: Tensor, _ w: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
    let (n, o, c) = (y.shape[0], y.shape[1], w.shape[1])
    let (h, wd) = g.input
    let plane = h * wd
    let shape = g.kernelShape(batch: n, channels: c, outputs: o)
    if let direct = shape.transposedAsForward, DirectConvolution.applies(direct) {
      let out = Storage(uninitializedCount: n * c * plane)
      DirectConvolution.forward(
        direct, x: y.storage.base, w: w.storage.base, flipped: true, bias: bias?.storage.base, out: out.base)
      return recordTranspose(y, w, bias: bias, g, out)
    }
    if SingleChannelConvolution.applies(shape) {
      let out = Storage(uninitializedCount: n * c * plane)
      SingleChannelConvolution.transpose(shape, y: y.storage.base, w: w.storage.base, bias: bias?.storage.base, out: out.base)
      return recordTranspose(y, w, bias: bias, g, out)
    }
    // Tiles are added into their windows, so the output starts as zeros or the bias, filled by
    // the pool (the VAE's last transposed products write 12 MB: on one thread the zero fill took
    // 2.5% of a one-thread step, while a second thread would have waited).
    let out = Storage(uninitializedCount: n * c * plane)
    let b = bias?.storage.base
    parallelFor(n * c, grain: Swift.max(1, Kernels.grain / Swift.max(plane, 1))) { rows in
      for r in rows { (out.base + r * plane).update(repeating: b?[r % c] ?? 0, count: plane) }
    }
    ConvolutionKernels.run(genai_conv_transpose_op, shape, y: y.storage.base, w: w.storage.base, out: out.base)
    return recordTranspose(y, w, bias: bias, g, out)
  }

  /// Records `convolutionTranspose`'s result `out` `[N, C, H, W]` with its pullback.
  private static func recordTranspose(_ y: Tensor, _ w: Tensor, bias: Tensor?, _ g: ConvGeometry, _ out: Storage)
    -> Tensor
  {
    let (n, c) = (y.shape[0], w.shape[1])
    var inputs = [y, w]
    if let bias { inputs.append(bias) }
    return record(.convolutionTranspose, shape: [n, c, g.input.0, g.input.1], storage: out, inputs: inputs) { gx, _, xs in
      var grads: [Tensor?] = [
        xs[0].requiresGrad ? convolution(gx, xs[1], bias: nil, g) : nil,
        xs[1].requiresGrad ? convolutionWeightGradient(gx, xs[0], g) : nil,
      ]
      if xs.count == 3 { grads.append(xs[2].requiresGrad ? gx.sum(axes: [0, 2, 3]) : nil) }
      return grads
    }
  }

  /// The weight gradient of `convolution`: x `[N, C, H, W]` and y `[N, O, OH, OW]` →
  /// `Σ_{n, oy, ox} y[n, o, oy, ox] · x[n, c, window]`, shape `[O, C, KH, KW]`.
  static func convolutionWeightGradient(_ x: Tensor, _ y: Tensor, _ g: ConvGeometry) -> Tensor {
    let (n, c, o) = (x.shape[0], x.shape[1], y.shape[1])
    let (kh, kw) = g.kernel
    let out = Storage(uninitializedCount: o * c * kh * kw)
    ConvolutionKernels.runWeightGradient(
      g.kernelShape(batch: n, channels: c, outputs: o), x: x.storage.base, y: y.storage.base, out: out.base)
    return record(.convolutionWeightGradient, shape: [o, c, kh, kw], storage: out, inputs: [x, y]) { gw, _, xs in
      [
        xs[0].requiresGrad ? convolutionTranspose(xs[1], gw, bias: nil, g) : nil,
        xs[1].requiresGrad ? convolution(xs[0], gw, bias: nil, g) : nil,
      ]
    }
  }
}

extension ConvGeometry {
  /// The shape the C kernels take: this geometry between `[batch, channels, input]` and
  /// `[batch, outputs, output]`.
  func kernelShape(batch: Int, channels: Int, outputs: Int) -> genai_conv_shape {
    genai_conv_shape(
      n: batch, c: channels, h: input.0, w: input.1, o: outputs, oh: output.0, ow: output.1,
      kh: kernel.0, kw: kernel.1, sh: stride.0, sw: stride.1, dh: dilation.0, dw: dilation.1,
      pt: padBefore.0, pl: padBefore.1)
  }
}

/// Runs one of the convolution products over the thread pool.
enum ConvolutionKernels {
  typealias MakeOp = (UnsafeMutablePointer<genai_gemm_op>?, UnsafePointer<genai_conv_ctx>?) -> Void

  static func run(
    _ make: MakeOp, _ shape: genai_conv_shape, x: UnsafePointer<Float>? = nil, y: UnsafePointer<Float>? = nil,
    w: UnsafePointer<Float>? = nil, bias: UnsafePointer<Float>? = nil, out: UnsafeMutablePointer<Float>
  ) {
    if shape.n == 0 || shape.c == 0 || shape.o == 0 { return }
    var ctx = genai_conv_ctx(s: shape, x: x, y: y, w: w, bias: bias, out: out)
    withUnsafePointer(to: &ctx) { c in
      var op = genai_gemm_op()
      make(&op, c)
      BLAS.run(op)
    }
  }

  /// Chunks of the batch the weight gradient is split into: a fixed number, so the sum's order
  /// (and its bits) does not depend on the thread count.
  static let weightGradientChunks = 4

  /// The weight gradient, split along its long K (images × pixels) rather than across its small
  /// output: each chunk of the batch is one single-threaded product into its own buffer (no
  /// operand packed twice), and the buffers are added in chunk order.
  static func runWeightGradient(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, y: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
  ) {
    if Swift.min(weightGradientChunks, shape.n) <= 1 {
      run(genai_conv_weight_grad_op, shape, x: x, y: y, out: out)
      return
    }
    weightGradientByChunks(shape, x: x, y: y, out: out, genai_conv_weight_grad_run)
  }

  /// A weight gradient in `weightGradientChunks` chunks of the batch (fewer for a smaller batch):
  /// `product` runs one chunk on the calling thread into its own buffer, the chunks run over the
  /// pool, and the buffers are added in chunk order, so the bits do not depend on the thread
  /// count. An image is C·H·W floats of x and O·OH·OW of y in either layout.
  static func weightGradientByChunks(
    _ shape: genai_conv_shape, x: UnsafePointer<Float>, y: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
    _ product: (UnsafePointer<genai_conv_ctx>?, Int32) -> Void
  ) {
    let size = shape.o * shape.c * shape.kh * shape.kw
    guard size > 0 else { return }
    let chunks = Swift.max(1, Swift.min(weightGradientChunks, shape.n))
    let partials = Storage(uninitializedCount: Swift.max(1, (chunks - 1) * size))
    let per = (shape.n + chunks - 1) / chunks
    let path = genai_path_active()
    ThreadPool.shared.run(chunks: chunks) { k in
      let n0 = k * per, n1 = Swift.min(shape.n, n0 + per)
      let dst = k == 0 ? out : partials.base + (k - 1) * size
      guard n0 < n1 else {
        dst.update(repeating: 0, count: size)
        return
      }
      var part = shape
      part.n = n1 - n0
      var ctx = genai_conv_ctx(
        s: part, x: x + n0 * shape.c * shape.h * shape.w, y: y + n0 * shape.o * shape.oh * shape.ow, w: nil,
        bias: nil, out: dst)
      withUnsafePointer(to: &ctx) { product($0, path) }
    }
    for k in 1..<chunks { Kernels.addInPlace(out, partials.base + (k - 1) * size, count: size) }
  }
}
