import GenAITensor

/// A spatial size given once for every axis or once per axis: `kernelSize: 3` is `3 × 3`,
/// `kernelSize: [3, 5]` is 3 rows by 5 columns (PyTorch's `int` or `(int, int)`).
public struct IntOrPair: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
  /// The size along the first spatial axis (height).
  public var first: Int
  /// The size along the second spatial axis (width).
  public var second: Int

  /// One size per axis: `first` for the height, `second` for the width.
  public init(_ first: Int, _ second: Int) {
    self.first = first
    self.second = second
  }

  /// The same size along both axes.
  public init(_ value: Int) { self.init(value, value) }

  /// The same size along both axes, from a literal such as `3`.
  public init(integerLiteral value: Int) { self.init(value) }

  /// One size per axis, from a literal such as `[3, 5]`.
  /// - Precondition: exactly two elements.
  public init(arrayLiteral elements: Int...) {
    require(elements.count == 2, "[IntOrPair] needs 2 sizes, got \(elements)")
    self.init(elements[0], elements[1])
  }

  /// `(first, second)`, as the engine's convolution ops take it.
  public var pair: (Int, Int) { (first, second) }
}

// MARK: - Shared initialisation

/// PyTorch's initialisation of a convolution: the weight by `weightInit` (Kaiming-uniform with
/// `a = √5` by default) and the bias `[biasCount]` from `U(±1/√fanIn)`, drawn in that order.
///
/// Fans are read from the weight as PyTorch and Keras read them, `fanIn = shape[1] · Πk`, for
/// transposed convolutions too: there `shape[1]` is `O/groups`, which both libraries use.
private func convolutionParameters(
  _ shape: [Int], biasCount: Int?, weightInit: Initializer, using generator: inout some RandomNumberGenerator
) -> (weight: Tensor, bias: Tensor?) {
  let weight = weightInit.make(shape, using: &generator).requiringGrad()
  guard let biasCount else { return (weight, nil) }
  let fanIn = Initializer.fans(shape).0
  let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
  return (weight, Tensor.uniform([biasCount], low: -bound, high: bound, using: &generator).requiringGrad())
}

/// Checks the channel counts and groups that every convolution shares.
private func checkChannels(_ op: String, _ inputChannels: Int, _ outputChannels: Int, _ groups: Int) {
  require(inputChannels > 0 && outputChannels > 0,
    "[\(op)] channel counts must be positive, got \(inputChannels) -> \(outputChannels)")
  require(groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
    "[\(op)] \(groups) group(s) must divide both \(inputChannels) input and \(outputChannels) output channels")
}

/// Checks that an input has the expected rank and channel count.
private func checkInput(_ op: String, _ x: Tensor, rank: Int, channels: Int, layout: String) {
  require(x.rank == rank && x.shape[1] == channels,
    "[\(op)] expects input \(layout) with C = \(channels), got \(shapeString(x.shape))")
}

/// A 4-D image input with `channels` channels on the axis `layout` puts them.
private func checkImageInput(_ op: String, _ x: Tensor, channels: Int, layout: ConvLayout) {
  require(x.rank == 4 && x.shape[layout.channelAxis] == channels,
    "[\(op)] expects input \(layout.shapeDescription) with C = \(channels), got \(shapeString(x.shape))")
}

// MARK: - Convolutions

/// A 1-D convolution (cross-correlation, as in PyTorch's `nn.Conv1d` and Keras `Conv1D`).
///
/// Input `[N, C, L]`, output `[N, O, OL]` with `OL = (L + pads − d·(K−1) − 1) / stride + 1`
/// (`ceil(L / stride)` for `.same`). Parameters use PyTorch's names and layout, so a PyTorch
/// `state_dict` loads unchanged.
public final class Conv1d: Module, WeightedLayer {
  /// `[O, C/groups, K]`.
  public let weight: Tensor
  /// `[O]`, or `nil` without bias.
  public let bias: Tensor?
  /// Step between windows.
  public let stride: Int
  /// Zero padding of the input.
  public let padding: Padding
  /// Spacing between kernel taps.
  public let dilation: Int
  /// Number of channel groups, each convolved with its own `O/groups` filters.
  public let groups: Int

  /// A convolution with PyTorch's default initialisation (Kaiming-uniform weight with `a = √5`,
  /// bias `U(±1/√(C/groups · K))`) unless `weightInit` picks another weight initialiser, e.g.
  /// `.normal(mean: 0, std: 0.02)` for DCGAN.
  /// - Parameters:
  ///   - inputChannels: `C`.
  ///   - outputChannels: `O`.
  ///   - kernelSize: `K`.
  ///   - padding: `.symmetric(p)` is PyTorch's `padding=p`; `.same` is Keras/TensorFlow `SAME`.
  ///   - bias: whether to add a learned `[O]` bias.
  /// - Precondition: `groups` divides `C` and `O`.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, weightInit: Initializer = .pytorchDefault,
    using generator: inout some RandomNumberGenerator
  ) {
    checkChannels("Conv1d", inputChannels, outputChannels, groups)
    (weight, self.bias) = convolutionParameters(
      [outputChannels, inputChannels / groups, kernelSize], biasCount: bias ? outputChannels : nil,
      weightInit: weightInit, using: &generator)
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    super.init()
  }

  /// Convolves `x` `[N, C, L]` → `[N, O, OL]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, weight: weight) }

  /// Convolves `x` `[N, C, L]` with `weight` `[O, C/groups, K]` in place of the stored one.
  public func forward(_ x: Tensor, weight: Tensor) -> Tensor {
    checkInput("Conv1d", x, rank: 3, channels: self.weight.shape[1] * groups, layout: "[N, C, L]")
    return x.conv1d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }
}

/// A 2-D convolution (cross-correlation, as in PyTorch's `nn.Conv2d` and Keras `Conv2D`).
///
/// Input `[N, C, H, W]`, output `[N, O, OH, OW]` with
/// `OH = (H + pads − d·(KH−1) − 1) / stride + 1` (`ceil(H / stride)` for `.same`), likewise `OW`.
/// Parameters use PyTorch's names and layout, so a PyTorch `state_dict` loads unchanged.
///
/// ```swift
/// let conv = Conv2d(inputChannels: 3, outputChannels: 64, kernelSize: 4, stride: 2,
///                   padding: .symmetric(1), bias: false, weightInit: .normal(mean: 0, std: 0.02),
///                   using: &rng)   // DCGAN discriminator: [N, 3, 64, 64] -> [N, 64, 32, 32]
/// ```
public final class Conv2d: Module, WeightedLayer {
  /// `[O, C/groups, KH, KW]`.
  public let weight: Tensor
  /// `[O]`, or `nil` without bias.
  public let bias: Tensor?
  /// Step between windows `(height, width)`.
  public let stride: (Int, Int)
  /// Zero padding of the input.
  public let padding: Padding
  /// Spacing between kernel taps `(height, width)`.
  public let dilation: (Int, Int)
  /// Number of channel groups, each convolved with its own `O/groups` filters.
  public let groups: Int
  /// Where the channels sit in the input and output: `[N, C, H, W]` or `[N, H, W, C]`.
  public let layout: ConvLayout

  /// A convolution with PyTorch's default initialisation (Kaiming-uniform weight with `a = √5`,
  /// bias `U(±1/√(C/groups · KH · KW))`) unless `weightInit` picks another weight initialiser,
  /// e.g. `.normal(mean: 0, std: 0.02)` for DCGAN.
  /// - Parameters:
  ///   - inputChannels: `C`.
  ///   - outputChannels: `O`.
  ///   - kernelSize: `3` or `[KH, KW]`.
  ///   - stride: `2` or `[SH, SW]`.
  ///   - padding: `.symmetric(p)` is PyTorch's `padding=p`; `.same` is Keras/TensorFlow `SAME`
  ///     (output `ceil(H / stride)`, the odd element of padding at the end).
  ///   - dilation: `1` or `[DH, DW]`.
  ///   - bias: whether to add a learned `[O]` bias.
  ///   - layout: `.channelsLast` takes `[N, H, W, C]` and gives `[N, OH, OW, O]` (one group
  ///     only); the weight keeps PyTorch's layout either way.
  /// - Precondition: `groups` divides `C` and `O`.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: IntOrPair, stride: IntOrPair = 1,
    padding: Padding = .valid, dilation: IntOrPair = 1, groups: Int = 1, bias: Bool = true,
    weightInit: Initializer = .pytorchDefault, layout: ConvLayout = .channelsFirst,
    using generator: inout some RandomNumberGenerator
  ) {
    checkChannels("Conv2d", inputChannels, outputChannels, groups)
    require(groups == 1 || layout == .channelsFirst, "[Conv2d] groups need the channels-first layout")
    self.layout = layout
    (weight, self.bias) = convolutionParameters(
      [outputChannels, inputChannels / groups, kernelSize.first, kernelSize.second],
      biasCount: bias ? outputChannels : nil, weightInit: weightInit, using: &generator)
    self.stride = stride.pair
    self.padding = padding
    self.dilation = dilation.pair
    self.groups = groups
    super.init()
  }

  /// Convolves `x` `[N, C, H, W]` → `[N, O, OH, OW]` (channels-last: `[N, H, W, C]` → `[N, OH, OW, O]`).
  public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, weight: weight) }

  /// Convolves `x` with `weight` `[O, C/groups, KH, KW]` in place of the stored one.
  public func forward(_ x: Tensor, weight: Tensor) -> Tensor {
    checkImageInput("Conv2d", x, channels: self.weight.shape[1] * groups, layout: layout)
    return x.conv2d(
      weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, layout: layout)
  }
}

// MARK: - Transposed convolutions

/// A 1-D transposed convolution (PyTorch's `nn.ConvTranspose1d`, Keras `Conv1DTranspose`): the
/// gradient of `Conv1d` with respect to its input, the usual learned upsampling.
///
/// Input `[N, C, L]`, output `[N, O, OL]` with
/// `OL = (L−1)·stride − pads + d·(K−1) + outputPadding + 1`, or `L · stride` for `.same`.
public final class ConvTranspose1d: Module, WeightedLayer {
  /// `[C, O/groups, K]` (PyTorch layout: input channels first).
  public let weight: Tensor
  /// `[O]`, or `nil` without bias.
  public let bias: Tensor?
  /// Upsampling factor.
  public let stride: Int
  /// Padding of the equivalent forward convolution, removed from the output.
  public let padding: Padding
  /// Extra elements at the end of the output (PyTorch's `output_padding`).
  public let outputPadding: Int
  /// Spacing between kernel taps.
  public let dilation: Int
  /// Number of channel groups.
  public let groups: Int

  /// A transposed convolution with PyTorch's default initialisation (Kaiming-uniform weight with
  /// `a = √5`, bias `U(±1/√(O/groups · K))`) unless `weightInit` picks another initialiser.
  /// - Parameters:
  ///   - inputChannels: `C`.
  ///   - outputChannels: `O`.
  ///   - kernelSize: `K`.
  ///   - padding: `.symmetric(p)` is PyTorch's `padding=p`; `.same` is Keras
  ///     `Conv1DTranspose(padding="same")`, output `L · stride`.
  ///   - outputPadding: PyTorch's `output_padding` (not with `.same`).
  ///   - bias: whether to add a learned `[O]` bias.
  /// - Precondition: `groups` divides `C` and `O`.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
    outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
    weightInit: Initializer = .pytorchDefault, using generator: inout some RandomNumberGenerator
  ) {
    checkChannels("ConvTranspose1d", inputChannels, outputChannels, groups)
    (weight, self.bias) = convolutionParameters(
      [inputChannels, outputChannels / groups, kernelSize], biasCount: bias ? outputChannels : nil,
      weightInit: weightInit, using: &generator)
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
    super.init()
  }

  /// For spectral normalisation: output features run along axis 1 of `[C, O/groups, K]`.
  public var weightOutputAxis: Int { 1 }

  /// Upsamples `x` `[N, C, L]` → `[N, O, OL]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, weight: weight) }

  /// Applies the layer with `weight` `[C, O/groups, K]` in place of the stored one.
  public func forward(_ x: Tensor, weight: Tensor) -> Tensor {
    checkInput("ConvTranspose1d", x, rank: 3, channels: self.weight.shape[0], layout: "[N, C, L]")
    return x.convTranspose1d(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                             dilation: dilation, groups: groups)
  }
}

/// A 2-D transposed convolution (PyTorch's `nn.ConvTranspose2d`, Keras `Conv2DTranspose`): the
/// gradient of `Conv2d` with respect to its input, the usual learned upsampling of a generator.
///
/// Input `[N, C, H, W]`, output `[N, O, OH, OW]` with
/// `OH = (H−1)·stride − pads + d·(KH−1) + outputPadding + 1`, or `H · stride` for `.same`.
///
/// ```swift
/// let up = ConvTranspose2d(inputChannels: 128, outputChannels: 64, kernelSize: 4, stride: 2,
///                          padding: .symmetric(1), bias: false, using: &rng)  // [N,128,8,8] -> [N,64,16,16]
/// ```
public final class ConvTranspose2d: Module, WeightedLayer {
  /// `[C, O/groups, KH, KW]` (PyTorch layout: input channels first).
  public let weight: Tensor
  /// `[O]`, or `nil` without bias.
  public let bias: Tensor?
  /// Upsampling factor `(height, width)`.
  public let stride: (Int, Int)
  /// Padding of the equivalent forward convolution, removed from the output.
  public let padding: Padding
  /// Extra rows and columns at the end of the output (PyTorch's `output_padding`).
  public let outputPadding: (Int, Int)
  /// Spacing between kernel taps `(height, width)`.
  public let dilation: (Int, Int)
  /// Number of channel groups.
  public let groups: Int
  /// Where the channels sit in the input and output: `[N, C, H, W]` or `[N, H, W, C]`.
  public let layout: ConvLayout

  /// A transposed convolution with PyTorch's default initialisation (Kaiming-uniform weight with
  /// `a = √5`, bias `U(±1/√(O/groups · KH · KW))`) unless `weightInit` picks another initialiser,
  /// e.g. `.normal(mean: 0, std: 0.02)` for DCGAN.
  /// - Parameters:
  ///   - inputChannels: `C`.
  ///   - outputChannels: `O`.
  ///   - kernelSize: `4` or `[KH, KW]`.
  ///   - stride: `2` or `[SH, SW]`.
  ///   - padding: `.symmetric(p)` is PyTorch's `padding=p`; `.same` is Keras
  ///     `Conv2DTranspose(padding="same")`, output `[H · SH, W · SW]`.
  ///   - outputPadding: PyTorch's `output_padding` (not with `.same`).
  ///   - dilation: `1` or `[DH, DW]`.
  ///   - bias: whether to add a learned `[O]` bias.
  ///   - layout: `.channelsLast` takes `[N, H, W, C]` and gives `[N, OH, OW, O]` (one group
  ///     only); the weight keeps PyTorch's layout either way.
  /// - Precondition: `groups` divides `C` and `O`.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: IntOrPair, stride: IntOrPair = 1,
    padding: Padding = .valid, outputPadding: IntOrPair = 0, dilation: IntOrPair = 1, groups: Int = 1,
    bias: Bool = true, weightInit: Initializer = .pytorchDefault, layout: ConvLayout = .channelsFirst,
    using generator: inout some RandomNumberGenerator
  ) {
    checkChannels("ConvTranspose2d", inputChannels, outputChannels, groups)
    require(groups == 1 || layout == .channelsFirst, "[ConvTranspose2d] groups need the channels-first layout")
    self.layout = layout
    (weight, self.bias) = convolutionParameters(
      [inputChannels, outputChannels / groups, kernelSize.first, kernelSize.second],
      biasCount: bias ? outputChannels : nil, weightInit: weightInit, using: &generator)
    self.stride = stride.pair
    self.padding = padding
    self.outputPadding = outputPadding.pair
    self.dilation = dilation.pair
    self.groups = groups
    super.init()
  }

  /// For spectral normalisation: output features run along axis 1 of `[C, O/groups, KH, KW]`.
  public var weightOutputAxis: Int { 1 }

  /// Upsamples `x` `[N, C, H, W]` → `[N, O, OH, OW]` (channels-last: `[N, H, W, C]` → `[N, OH, OW, O]`).
  public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, weight: weight) }

  /// Applies the layer with `weight` `[C, O/groups, KH, KW]` in place of the stored one.
  public func forward(_ x: Tensor, weight: Tensor) -> Tensor {
    checkImageInput("ConvTranspose2d", x, channels: self.weight.shape[0], layout: layout)
    return x.convTranspose2d(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                             dilation: dilation, groups: groups, layout: layout)
  }
}
