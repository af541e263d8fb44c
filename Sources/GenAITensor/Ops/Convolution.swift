/// Convolutions, transposed convolutions and pooling. A convolution and a transposed
/// convolution are the implicit-GEMM products of `ConvolutionProducts.swift` (whose pullbacks
/// are each other, so every convolution can be differentiated any number of times); pooling is
/// built on `unfold` (im2col) and its adjoint `fold` (col2im).

/// Padding of a convolution or pooling window.
public enum Padding: Sendable, Equatable {
  /// No padding.
  case valid
  /// TensorFlow's `SAME`: output size `ceil(in / stride)`, padding split with the odd element at
  /// the end. For a transposed convolution, Keras `Conv2DTranspose(padding="same")`: output size
  /// `in · stride`.
  case same
  /// The same number of elements before and after every spatial axis (PyTorch's `padding=p`).
  case symmetric(Int)
  /// Per spatial axis, elements before and after (`[top, left]`, `[bottom, right]` in 2-D).
  case explicit(before: [Int], after: [Int])
}

/// Where the channels sit in a 4-D image tensor.
public enum ConvLayout: String, Sendable, Equatable, CaseIterable {
  /// `[N, C, H, W]` (PyTorch's default).
  case channelsFirst
  /// `[N, H, W, C]` (Keras' default): each pixel's channels are contiguous, so the products read
  /// window taps in place (`ConvolutionChannelsLast.swift`).
  case channelsLast

  /// The axis of a 4-D image tensor that holds its channels: 1 or 3.
  public var channelAxis: Int { self == .channelsFirst ? 1 : 3 }

  /// How a 4-D image's shape reads in this layout, for messages: `[N, C, H, W]` or `[N, H, W, C]`.
  public var shapeDescription: String { self == .channelsFirst ? "[N, C, H, W]" : "[N, H, W, C]" }

  /// `(channels, height, width)` of an image tensor's `shape` in this layout.
  func axes(_ shape: [Int]) -> (c: Int, h: Int, w: Int) {
    self == .channelsFirst ? (shape[1], shape[2], shape[3]) : (shape[3], shape[1], shape[2])
  }
}

/// The sliding-window geometry of one 2-D convolution from an input of `inH × inW` to an output
/// of `outH × outW`. Pads may be negative on the trailing side for transposed convolutions whose
/// output padding exceeds their padding.
public struct ConvGeometry: Sendable, Equatable {
  /// Kernel size `(height, width)`.
  public var kernel: (Int, Int)
  /// Stride `(height, width)`.
  public var stride: (Int, Int)
  /// Dilation `(height, width)`.
  public var dilation: (Int, Int)
  /// Padding before each axis `(top, left)`.
  public var padBefore: (Int, Int)
  /// Padding after each axis `(bottom, right)`.
  public var padAfter: (Int, Int)
  /// Input spatial size.
  public var input: (Int, Int)

  /// Output spatial size: `(in + before + after − d·(k−1) − 1) / s + 1` per axis.
  public var output: (Int, Int) {
    func o(_ i: Int, _ k: Int, _ s: Int, _ d: Int, _ b: Int, _ a: Int) -> Int { (i + b + a - d * (k - 1) - 1) / s + 1 }
    return (
      o(input.0, kernel.0, stride.0, dilation.0, padBefore.0, padAfter.0),
      o(input.1, kernel.1, stride.1, dilation.1, padBefore.1, padAfter.1)
    )
  }

  /// Creates the geometry of a window over an input of `input` size.
  public init(input: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1), dilation: (Int, Int) = (1, 1),
              padBefore: (Int, Int) = (0, 0), padAfter: (Int, Int) = (0, 0)) {
    self.input = input
    self.kernel = kernel
    self.stride = stride
    self.dilation = dilation
    self.padBefore = padBefore
    self.padAfter = padAfter
  }

  /// Whether every field is equal (tuples are not `Equatable`, so this is written out).
  public static func == (a: ConvGeometry, b: ConvGeometry) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.dilation == b.dilation && a.padBefore == b.padBefore
      && a.padAfter == b.padAfter && a.input == b.input
  }

  /// TensorFlow's SAME padding for one axis: `(before, after)`.
  static func samePads(input: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int) {
    let out = (input + stride - 1) / stride
    let total = Swift.max((out - 1) * stride + dilation * (kernel - 1) + 1 - input, 0)
    return (total / 2, total - total / 2)
  }

  /// Pads `(before, after)` for spatial axis `axis` of a forward convolution.
  static func pads(_ padding: Padding, axis: Int, input: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int) {
    switch padding {
    case .valid: return (0, 0)
    case .same: return samePads(input: input, kernel: kernel, stride: stride, dilation: dilation)
    case .symmetric(let p): return (p, p)
    case .explicit(let before, let after):
      require(axis < before.count && axis < after.count,
        "[conv] explicit padding needs one value per spatial axis, got before \(before), after \(after)")
      return (before[axis], after[axis])
    }
  }
}

extension Tensor {
  // MARK: - Primitives

  /// im2col: every window of `[N, C, H, W]` as a column, giving `[C·KH·KW, N·OH·OW]`
  /// (row `(c·KH + kh)·KW + kw`, column `(n·OH + oh)·OW + ow`); zeros where a window hangs over
  /// the padding.
  public func unfold(_ g: ConvGeometry) -> Tensor {
    require(rank == 4 && shape[2] == g.input.0 && shape[3] == g.input.1,
      "[unfold] expects [N, C, \(g.input.0), \(g.input.1)], got \(shapeString(shape))")
    let (oh, ow) = g.output
    require(oh > 0 && ow > 0, "[unfold] the window \(g.kernel) does not fit input \(shapeString(shape)) with its padding")
    let (n, c) = (shape[0], shape[1])
    let outShape = [c * g.kernel.0 * g.kernel.1, n * oh * ow]
    let s = Kernels.unfold(storage.base, n: n, c: c, g)
    let from = shape
    return Tensor.record(.unfold, shape: outShape, storage: s, inputs: [self]) { grad, _, _ in [grad.fold(g, shape: from)] }
  }

  /// col2im, the adjoint of `unfold`: adds each column of `[C·KH·KW, N·OH·OW]` back into its
  /// window of a zero tensor of `shape` `[N, C, H, W]`; overlapping windows accumulate.
  public func fold(_ g: ConvGeometry, shape outShape: [Int]) -> Tensor {
    require(outShape.count == 4 && outShape[2] == g.input.0 && outShape[3] == g.input.1,
      "[fold] shape \(shapeString(outShape)) does not match the geometry's input \(g.input)")
    let (oh, ow) = g.output
    let (n, c) = (outShape[0], outShape[1])
    require(shape == [c * g.kernel.0 * g.kernel.1, n * oh * ow],
      "[fold] expects columns [\(c * g.kernel.0 * g.kernel.1), \(n * oh * ow)], got \(shapeString(shape))")
    let s = Kernels.fold(storage.base, n: n, c: c, g)
    return Tensor.record(.fold, shape: outShape, storage: s, inputs: [self]) { grad, _, _ in [grad.unfold(g)] }
  }

  // MARK: - Convolution

  /// 2-D convolution (cross-correlation, as in PyTorch and Keras).
  /// - Parameters:
  ///   - weight: `[O, C/groups, KH, KW]` (PyTorch layout).
  ///   - bias: `[O]` or `nil`.
  ///   - layout: `.channelsFirst` (input `[N, C, H, W]`) or `.channelsLast` (`[N, H, W, C]`, one
  ///     group only); the output has the same layout.
  /// - Returns: `[N, O, OH, OW]` for input `[N, C, H, W]`, or `[N, OH, OW, O]` channels-last.
  public func conv2d(
    _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
    dilation: (Int, Int) = (1, 1), groups: Int = 1, layout: ConvLayout = .channelsFirst
  ) -> Tensor {
    require(rank == 4 && weight.rank == 4,
      "[conv2d] expects input \(layout.shapeDescription) and weight [O, C, KH, KW], got \(shapeString(shape)) and \(shapeString(weight.shape))")
    let (c, h, w) = layout.axes(shape)
    require(groups >= 1 && c % groups == 0 && weight.shape[0] % groups == 0 && weight.shape[1] * groups == c,
      "[conv2d] input \(shapeString(shape)) with \(groups) group(s) needs weight [O, \(c / Swift.max(groups, 1)), KH, KW], got \(shapeString(weight.shape))")
    require(groups == 1 || layout == .channelsFirst, "[conv2d] groups need the channels-first layout")
    require(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "[conv2d] stride and dilation must be positive")
    if groups > 1 {
      let xs = split(parts: groups, axis: 1), ws = weight.split(parts: groups, axis: 0)
      let ys = zip(xs, ws).map { $0.conv2d($1, stride: stride, padding: padding, dilation: dilation) }
      return Tensor.concatenate(ys, axis: 1).addingChannelBias(bias)
    }
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let p0 = ConvGeometry.pads(padding, axis: 0, input: h, kernel: kh, stride: stride.0, dilation: dilation.0)
    let p1 = ConvGeometry.pads(padding, axis: 1, input: w, kernel: kw, stride: stride.1, dilation: dilation.1)
    let g = ConvGeometry(input: (h, w), kernel: (kh, kw), stride: stride, dilation: dilation,
                         padBefore: (p0.0, p1.0), padAfter: (p0.1, p1.1))
    require(g.output.0 > 0 && g.output.1 > 0,
      "[conv2d] the window \(g.kernel) does not fit input \(shapeString(shape)) with its padding")
    if let bias {
      require(bias.shape == [weight.shape[0]], "[conv2d] bias must be [\(weight.shape[0])], got \(shapeString(bias.shape))")
    }
    if layout == .channelsLast {
      let n = shape[0]
      if c == 1 {
        // One input channel: [N, H, W, 1] is [N, 1, H, W] as it lies, and the channels-first
        // products (conv_single.c's for up to 16 taps, im2col for more) beat the channels-last
        // ones there (a depth of 9-25 leaves the direct tiles waiting on their pointers), so only
        // the output is moved. Windows as columns times the weight in one GEMM, which gives the
        // channels-last output with no move, ran 5-7% slower in whole VAE and DCGAN steps.
        return Tensor.convolution(reshaped([n, 1, h, w]), weight, bias: bias, g).permuted([0, 2, 3, 1])
      }
      return Tensor.convolutionChannelsLast(self, weight, bias: bias, g)
    }
    return Tensor.convolution(self, weight, bias: bias, g)
  }

  /// 2-D transposed convolution (the gradient of `conv2d` with respect to its input).
  /// - Parameters:
  ///   - weight: `[C, O/groups, KH, KW]` (PyTorch layout).
  ///   - padding: `.same` gives Keras `Conv2DTranspose(padding="same")`, output `in · stride`;
  ///     `.symmetric(p)` and `.explicit` follow PyTorch's `padding`.
  ///   - outputPadding: extra rows/columns at the end (PyTorch's `output_padding`).
  ///   - layout: `.channelsFirst` (input `[N, C, H, W]`) or `.channelsLast` (`[N, H, W, C]`, one
  ///     group only); the output has the same layout.
  /// - Returns: `[N, O, OH, OW]` with `OH = (H−1)·s − pads + d·(k−1) + outputPadding + 1`, or
  ///   `[N, OH, OW, O]` channels-last.
  public func convTranspose2d(
    _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
    outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
    layout: ConvLayout = .channelsFirst
  ) -> Tensor {
    require(rank == 4 && weight.rank == 4,
      "[convTranspose2d] expects input \(layout.shapeDescription) and weight [C, O, KH, KW], got \(shapeString(shape)) and \(shapeString(weight.shape))")
    let (c, h, w) = layout.axes(shape)
    require(groups >= 1 && c % groups == 0 && weight.shape[0] == c,
      "[convTranspose2d] input \(shapeString(shape)) needs weight [\(c), O/groups, KH, KW], got \(shapeString(weight.shape))")
    require(groups == 1 || layout == .channelsFirst, "[convTranspose2d] groups need the channels-first layout")
    require(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "[convTranspose2d] stride and dilation must be positive")
    if groups > 1 {
      let xs = split(parts: groups, axis: 1), ws = weight.split(parts: groups, axis: 0)
      let ys = zip(xs, ws).map {
        $0.convTranspose2d($1, stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation)
      }
      return Tensor.concatenate(ys, axis: 1).addingChannelBias(bias)
    }
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let o = weight.shape[1]
    // Pads of the forward convolution that maps the output back to this input.
    func axisPads(_ axis: Int, _ i: Int, _ k: Int, _ s: Int, _ d: Int, _ op: Int) -> (before: Int, after: Int, out: Int) {
      switch padding {
      case .same:
        require(op == 0, "[convTranspose2d] outputPadding is not used with .same padding")
        let total = Swift.max(d * (k - 1) + 1 - s, 0)
        return (total / 2, total - total / 2, i * s)
      default:
        let (b, a) = ConvGeometry.pads(padding, axis: axis, input: i, kernel: k, stride: s, dilation: d)
        return (b, a - op, (i - 1) * s - b - a + d * (k - 1) + op + 1)
      }
    }
    let ph = axisPads(0, h, kh, stride.0, dilation.0, outputPadding.0)
    let pw = axisPads(1, w, kw, stride.1, dilation.1, outputPadding.1)
    require(ph.out > 0 && pw.out > 0, "[convTranspose2d] output size would be \(ph.out)x\(pw.out)")
    let g = ConvGeometry(input: (ph.out, pw.out), kernel: (kh, kw), stride: stride, dilation: dilation,
                         padBefore: (ph.before, pw.before), padAfter: (ph.after, pw.after))
    require(g.output == (h, w), "[convTranspose2d] inconsistent geometry for input \(shapeString(shape))")
    if let bias { require(bias.shape == [o], "[convTranspose2d] bias must be [\(o)], got \(shapeString(bias.shape))") }
    if layout == .channelsLast {
      let n = shape[0]
      if o == 1 {
        // One output channel (a decoder's last layer): as in `conv2d`, the channels-first
        // products on the input moved there; [N, 1, OH, OW] is [N, OH, OW, 1] as it lies.
        let y = Tensor.convolutionTranspose(permuted([0, 3, 1, 2]), weight, bias: bias, g)
        return y.reshaped([n, g.input.0, g.input.1, 1])
      }
      return Tensor.convolutionTransposeChannelsLast(self, weight, bias: bias, g)
    }
    return Tensor.convolutionTranspose(self, weight, bias: bias, g)
  }

  /// 1-D convolution: input `[N, C, L]`, weight `[O, C/groups, K]`, bias `[O]` → `[N, O, OL]`.
  public func conv1d(
    _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid, dilation: Int = 1, groups: Int = 1
  ) -> Tensor {
    require(rank == 3 && weight.rank == 3,
      "[conv1d] expects input [N, C, L] and weight [O, C, K], got \(shapeString(shape)) and \(shapeString(weight.shape))")
    return unsqueezed(axis: 2)
      .conv2d(weight.unsqueezed(axis: 2), bias: bias, stride: (1, stride), padding: padding.lifted,
              dilation: (1, dilation), groups: groups)
      .squeezed(axes: [2])
  }

  /// 1-D transposed convolution: input `[N, C, L]`, weight `[C, O/groups, K]` → `[N, O, OL]`.
  public func convTranspose1d(
    _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid, outputPadding: Int = 0,
    dilation: Int = 1, groups: Int = 1
  ) -> Tensor {
    require(rank == 3 && weight.rank == 3,
      "[convTranspose1d] expects input [N, C, L] and weight [C, O, K], got \(shapeString(shape)) and \(shapeString(weight.shape))")
    return unsqueezed(axis: 2)
      .convTranspose2d(weight.unsqueezed(axis: 2), bias: bias, stride: (1, stride), padding: padding.lifted,
                       outputPadding: (0, outputPadding), dilation: (1, dilation), groups: groups)
      .squeezed(axes: [2])
  }

  /// Adds a per-channel bias `[C]` to `[N, C, ...]`.
  func addingChannelBias(_ bias: Tensor?) -> Tensor {
    guard let bias else { return self }
    require(bias.shape == [shape[1]], "[conv] bias must be [\(shape[1])], got \(shapeString(bias.shape))")
    return self + bias.reshaped([shape[1]] + Array(repeating: 1, count: rank - 2))
  }

  // MARK: - Pooling and upsampling

  /// Windows of each channel as `[KH·KW, N·C·OH·OW]`, and the output shape.
  func poolWindows(kernel: (Int, Int), stride: (Int, Int)?, padding: Padding, padValue: Float) -> (Tensor, [Int]) {
    require(rank == 4, "[pool] expects [N, C, H, W], got \(shapeString(shape))")
    let s = stride ?? kernel
    let p0 = ConvGeometry.pads(padding, axis: 0, input: shape[2], kernel: kernel.0, stride: s.0, dilation: 1)
    let p1 = ConvGeometry.pads(padding, axis: 1, input: shape[3], kernel: kernel.1, stride: s.1, dilation: 1)
    let (n, c) = (shape[0], shape[1])
    let x = reshaped([n * c, 1, shape[2], shape[3]]).padded([(0, 0), (0, 0), p0, p1], value: padValue)
    let g = ConvGeometry(input: (x.shape[2], x.shape[3]), kernel: kernel, stride: s)
    return (x.unfold(g), [n, c, g.output.0, g.output.1])
  }

  /// Average pooling of `[N, C, H, W]`; padded cells count as zeros (PyTorch's default
  /// `count_include_pad=True`). `stride` defaults to the kernel size.
  public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) -> Tensor {
    let (w, outShape) = poolWindows(kernel: kernel, stride: stride, padding: padding, padValue: 0)
    return w.mean(axes: [0]).reshaped(outShape)
  }

  /// Max pooling of `[N, C, H, W]`; padding never wins. `stride` defaults to the kernel size.
  public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) -> Tensor {
    let (w, outShape) = poolWindows(kernel: kernel, stride: stride, padding: padding, padValue: -.infinity)
    return w.max(axes: [0]).reshaped(outShape)
  }

  /// Nearest-neighbour upsampling of `[N, C, H, W]` by integer factors → `[N, C, H·sh, W·sw]`
  /// (or of `[N, H, W, C]` → `[N, H·sh, W·sw, C]` channels-last).
  public func upsampleNearest2d(scale: (Int, Int), layout: ConvLayout = .channelsFirst) -> Tensor {
    require(rank == 4 && scale.0 > 0 && scale.1 > 0,
      "[upsample] expects \(layout.shapeDescription) and positive scales, got \(shapeString(shape)) and \(scale)")
    let (sh, sw) = scale
    switch layout {
    case .channelsFirst:
      let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
      return reshaped([n, c, h, 1, w, 1]).expanded(to: [n, c, h, sh, w, sw]).reshaped([n, c, h * sh, w * sw])
    case .channelsLast:
      let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
      return reshaped([n, h, 1, w, 1, c]).expanded(to: [n, h, sh, w, sw, c]).reshaped([n, h * sh, w * sw, c])
    }
  }
}

extension Padding {
  /// The padding of a 1-D op applied as 2-D with a height of 1.
  var lifted: Padding {
    switch self {
    case .valid, .same: return self
    case .symmetric(let p): return .explicit(before: [0, p], after: [0, p])
    case .explicit(let b, let a): return .explicit(before: [0] + b, after: [0] + a)
    }
  }
}

extension Kernels {
  /// See `Tensor.unfold`. Rows are independent, so they are split across cores.
  static func unfold(_ x: UnsafePointer<Float>, n: Int, c: Int, _ g: ConvGeometry) -> Storage {
    let (kh, kw) = g.kernel, (sh, sw) = g.stride, (dh, dw) = g.dilation
    let (h, w) = g.input, (oh, ow) = g.output
    let (pt, pl) = g.padBefore
    let cols = n * oh * ow
    let out = Storage(uninitializedCount: c * kh * kw * cols)
    let dst = out.base
    parallelFor(c * kh * kw, grain: Swift.max(1, grain / Swift.max(cols, 1))) { rows in
      for r in rows {
        let ci = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw
        for ni in 0..<n {
          let plane = x + (ni * c + ci) * h * w
          for y in 0..<oh {
            let d = dst + r * cols + (ni * oh + y) * ow
            let iy = y * sh - pt + ki * dh
            if iy < 0 || iy >= h {
              d.update(repeating: 0, count: ow)
              continue
            }
            let src = plane + iy * w
            let ix0 = kj * dw - pl
            let (lo, hi) = validColumns(ix0: ix0, stride: sw, width: w, outputs: ow)
            if lo > 0 { d.update(repeating: 0, count: lo) }
            if hi < ow { (d + hi).update(repeating: 0, count: ow - hi) }
            if sw == 1 {
              if hi > lo { (d + lo).update(from: src + ix0 + lo, count: hi - lo) }
            } else {
              var xo = lo
              while xo < hi {
                d[xo] = src[xo * sw + ix0]
                xo += 1
              }
            }
          }
        }
      }
    }
    return out
  }

  /// The output columns `lo..<hi` whose input column `xo·stride + ix0` lies in `0..<width`
  /// (outside it the window reads padding), so the copy loops need no per-element test.
  @inline(__always)
  static func validColumns(ix0: Int, stride: Int, width: Int, outputs: Int) -> (Int, Int) {
    let lo = ix0 >= 0 ? 0 : Swift.min(outputs, (-ix0 + stride - 1) / stride)
    let last = width - 1 - ix0
    let hi = last < 0 ? 0 : Swift.min(outputs, last / stride + 1)
    return (lo, Swift.max(lo, hi))
  }

  /// See `Tensor.fold`. Each image plane `(n, c)` is written only from its own columns, so
  /// planes are split across cores without races (a one-channel fold too), and every element
  /// sums its taps in the same order however the planes are split.
  static func fold(_ colsPtr: UnsafePointer<Float>, n: Int, c: Int, _ g: ConvGeometry) -> Storage {
    let (kh, kw) = g.kernel, (sh, sw) = g.stride, (dh, dw) = g.dilation
    let (h, w) = g.input, (oh, ow) = g.output
    let (pt, pl) = g.padBefore
    let cols = n * oh * ow
    let out = Storage(zeros: n * c * h * w)
    let dst = out.base
    parallelFor(n * c, grain: Swift.max(1, grain / Swift.max(kh * kw * oh * ow, 1))) { planes in
      for p in planes {
        let (ni, ci) = (p / c, p % c)
        let plane = dst + p * h * w
        for ki in 0..<kh {
          for kj in 0..<kw {
            let r = (ci * kh + ki) * kw + kj
            let ix0 = kj * dw - pl
            let (lo, hi) = validColumns(ix0: ix0, stride: sw, width: w, outputs: ow)
            for y in 0..<oh {
              let iy = y * sh - pt + ki * dh
              if iy < 0 || iy >= h { continue }
              let s = colsPtr + r * cols + (ni * oh + y) * ow
              let drow = plane + iy * w + ix0
              if sw == 1 {
                for xo in lo..<hi { drow[xo] += s[xo] }
              } else {
                var xo = lo
                while xo < hi {
                  drow[xo * sw] += s[xo]
                  xo += 1
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}
