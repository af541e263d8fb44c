import GenAITestSupport
import Testing

@testable import GenAITensor

// Gradient checks of every recorded op (`OpKind`) and of the public composites, against
// 4-point central differences contracted with a random cotangent (see
// Tests/GenAITestSupport/GradCheck.swift). Every input holds at most ~64 elements and sits away
// from kinks by construction.

enum GradCatalog {
  /// Index tensor of `shape`; a bad literal is a bug in the test itself.
  static func indices(_ shape: [Int], _ values: [Int]) -> IndexTensor {
    do { return try IndexTensor(shape: shape, values) } catch { preconditionFailure("\(error)") }
  }

  /// Shorthand for a convolution geometry.
  static func geometry(
    input: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1),
    dilation: (Int, Int) = (1, 1),
    before: (Int, Int) = (0, 0), after: (Int, Int) = (0, 0)
  ) -> ConvGeometry {
    ConvGeometry(
      input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: before,
      padAfter: after)
  }

  // MARK: - Primitives: one or more cases per OpKind

  static let arithmetic: [GradCase] = [
    GradCase("add [2,3]+[2,3]", .add, inputs: { [$0.uniform([2, 3]), $0.uniform([2, 3])] }) {
      $0[0] + $0[1]
    },
    GradCase("add [2,3]+[3]", .add, inputs: { [$0.uniform([2, 3]), $0.uniform([3])] }) {
      $0[0] + $0[1]
    },
    GradCase("add [2,1]+[1,3]", .add, inputs: { [$0.uniform([2, 1]), $0.uniform([1, 3])] }) {
      $0[0] + $0[1]
    },
    GradCase("add [4,1,3]+[2,1]", .add, inputs: { [$0.uniform([4, 1, 3]), $0.uniform([2, 1])] }) {
      $0[0] + $0[1]
    },
    GradCase("add [2,3]+scalar tensor", .add, inputs: { [$0.uniform([2, 3]), $0.uniform([])] }) {
      $0[0] + $0[1]
    },
    GradCase("add x+1.5", .add, inputs: { [$0.uniform([2, 3])] }) { $0[0] + 1.5 },
    GradCase("add 2.5+x", .add, inputs: { [$0.uniform([3])] }) { 2.5 + $0[0] },
    GradCase("add x+x (shared input)", .add, inputs: { [$0.uniform([2, 2])] }) { $0[0] + $0[0] },

    GradCase("subtract [2,3]-[3]", .subtract, inputs: { [$0.uniform([2, 3]), $0.uniform([3])] }) {
      $0[0] - $0[1]
    },
    GradCase(
      "subtract [3]-[2,1,3]", .subtract, inputs: { [$0.uniform([3]), $0.uniform([2, 1, 3])] }
    ) { $0[0] - $0[1] },
    GradCase("subtract scalar-[2,2]", .subtract, inputs: { [$0.uniform([]), $0.uniform([2, 2])] }) {
      $0[0] - $0[1]
    },
    GradCase("subtract 1-x", .subtract, inputs: { [$0.uniform([2, 3])] }) { 1 - $0[0] },

    GradCase(
      "multiply [2,3]*[2,3]", .multiply, inputs: { [$0.uniform([2, 3]), $0.uniform([2, 3])] }
    ) { $0[0] * $0[1] },
    GradCase(
      "multiply [2,1]*[1,3]", .multiply, inputs: { [$0.uniform([2, 1]), $0.uniform([1, 3])] }
    ) { $0[0] * $0[1] },
    GradCase(
      "multiply [3,1,2]*[2]", .multiply, inputs: { [$0.uniform([3, 1, 2]), $0.uniform([2])] }
    ) { $0[0] * $0[1] },
    GradCase(
      "multiply [2,1,3]*[1,4,1]", .multiply,
      inputs: { [$0.uniform([2, 1, 3]), $0.uniform([1, 4, 1])] }
    ) { $0[0] * $0[1] },
    GradCase(
      "multiply [2,3]*scalar tensor", .multiply, inputs: { [$0.uniform([2, 3]), $0.uniform([])] }
    ) {
      $0[0] * $0[1]
    },
    GradCase("multiply x*2.5", .multiply, inputs: { [$0.uniform([2, 3])] }) { $0[0] * 2.5 },
    GradCase("multiply x*x (shared input)", .multiply, inputs: { [$0.uniform([2, 3])] }) {
      $0[0] * $0[0]
    },
    GradCase("multiply x/4 (scalar divisor)", .multiply, inputs: { [$0.uniform([2, 3])] }) {
      $0[0] / 4
    },

    GradCase(
      "divide [2,3]/[3]", .divide, inputs: { [$0.uniform([2, 3]), $0.awayFromZero([3], 0.5, 2)] }
    ) {
      $0[0] / $0[1]
    },
    GradCase(
      "divide [2,1]/[1,3]", .divide,
      inputs: { [$0.uniform([2, 1]), $0.awayFromZero([1, 3], 0.5, 2)] }
    ) {
      $0[0] / $0[1]
    },
    GradCase(
      "divide scalar/[2,2]", .divide,
      inputs: { [$0.uniform([]), $0.awayFromZero([2, 2], 0.5, 2)] }
    ) {
      $0[0] / $0[1]
    },
    GradCase("divide 1.5/x", .divide, inputs: { [$0.awayFromZero([2, 3], 0.5, 2)] }) {
      1.5 / $0[0]
    },
    GradCase(
      "divide x/(x·x) (shared input)", .divide, inputs: { [$0.awayFromZero([4], 0.5, 2)] }
    ) { $0[0] / ($0[0] * $0[0]) },

    GradCase("negate", .negate, inputs: { [$0.uniform([2, 3])] }) { -$0[0] },

    GradCase("powScalar x^3", .powScalar, inputs: { [$0.uniform([2, 3])] }) { $0[0].pow(3) },
    GradCase("powScalar x^0.5", .powScalar, inputs: { [$0.positive([2, 3], 0.5, 2)] }) {
      $0[0].pow(0.5)
    },
    GradCase("powScalar x^-1.5", .powScalar, inputs: { [$0.positive([2, 3], 0.5, 2)] }) {
      $0[0].pow(-1.5)
    },
    GradCase("powScalar x^1.5", .powScalar, inputs: { [$0.positive([4], 0.3, 2)] }) {
      $0[0].pow(1.5)
    },

    GradCase(
      "pow [2,3]^[3]", .pow, inputs: { [$0.positive([2, 3], 0.5, 2), $0.uniform([3], -2, 2)] }
    ) {
      $0[0].pow($0[1])
    },
    GradCase(
      "pow [2,1]^[1,3]", .pow,
      inputs: { [$0.positive([2, 1], 0.5, 2), $0.uniform([1, 3], -2, 2)] }
    ) {
      $0[0].pow($0[1])
    },
    GradCase(
      "pow scalar^[2,2]", .pow, inputs: { [$0.positive([], 0.5, 2), $0.uniform([2, 2], -2, 2)] }
    ) {
      $0[0].pow($0[1])
    },
    GradCase(
      "pow negative base ^ constant integer exponent", .pow,
      inputs: { [$0.uniform([2, 2]), GradInput(shape: [2], values: [2, 3]).constant()] }
    ) { $0[0].pow($0[1]) },

    GradCase("exp", .exp, inputs: { [$0.uniform([2, 3])] }) { $0[0].exp() },
    GradCase("log", .log, inputs: { [$0.positive([2, 3], 0.3, 3)] }) { $0[0].log() },
    GradCase("sqrt", .sqrt, inputs: { [$0.positive([2, 3], 0.3, 3)] }) { $0[0].sqrt() },
    GradCase("abs", .abs, inputs: { [$0.awayFromZero([2, 3])] }) { $0[0].abs() },

    GradCase("clamp [-0.5, 0.5]", .clamp, inputs: { [$0.avoiding([-0.5, 0.5], [3, 4])] }) {
      $0[0].clamped(min: -0.5, max: 0.5)
    },
    GradCase("clamp min 0", .clamp, inputs: { [$0.avoiding([0], [2, 3])] }) {
      $0[0].clamped(min: 0)
    },
    GradCase("clamp max 0.25", .clamp, inputs: { [$0.avoiding([0.25], [2, 3])] }) {
      $0[0].clamped(max: 0.25)
    },

    GradCase(
      "minimum [2,3],[2,3]", .minimum,
      inputs: { [$0.grid([2, 3], offset: 0), $0.grid([2, 3], offset: 0.125)] }
    ) {
      $0[0].minimum($0[1])
    },
    GradCase(
      "minimum [2,3],[3]", .minimum,
      inputs: { [$0.grid([2, 3], offset: 0), $0.grid([3], offset: 0.125)] }
    ) {
      $0[0].minimum($0[1])
    },
    GradCase(
      "minimum [2,1],[1,3]", .minimum,
      inputs: { [$0.grid([2, 1], offset: 0.125), $0.grid([1, 3], offset: 0)] }
    ) {
      $0[0].minimum($0[1])
    },
    GradCase(
      "minimum scalar,[2,2]", .minimum,
      inputs: { [$0.grid([], offset: 0.125), $0.grid([2, 2], offset: 0)] }
    ) {
      $0[0].minimum($0[1])
    },
    GradCase(
      "maximum [2,3],[2,3]", .maximum,
      inputs: { [$0.grid([2, 3], offset: 0), $0.grid([2, 3], offset: 0.125)] }
    ) {
      $0[0].maximum($0[1])
    },
    GradCase(
      "maximum [2,3],[3]", .maximum,
      // Explicit values: in every column each side wins once.
      inputs: { _ in
        [
          GradInput(shape: [2, 3], values: [0.625, -1.375, 0.125, -0.875, 0.375, 1.125]),
          GradInput(shape: [3], values: [0.25, -0.5, 0.75]),
        ]
      }
    ) {
      $0[0].maximum($0[1])
    },
    GradCase(
      "maximum [2,1],[1,3]", .maximum,
      inputs: { [$0.grid([2, 1], offset: 0), $0.grid([1, 3], offset: 0.125)] }
    ) {
      $0[0].maximum($0[1])
    },
    GradCase(
      "maximum [2,2],scalar", .maximum,
      inputs: { _ in
        [
          GradInput(shape: [2, 2], values: [-0.75, 0.5, 1.25, -0.25]),
          GradInput(shape: [], values: [0.125]),
        ]
      }
    ) {
      $0[0].maximum($0[1])
    },

    GradCase("erf", .erf, inputs: { [$0.uniform([2, 3], -2, 2)] }) { $0[0].erf() },
  ]

  static let activations: [GradCase] = [
    GradCase("relu", .relu, inputs: { [$0.awayFromZero([2, 3, 2])] }) { $0[0].relu() },
    GradCase("leakyRelu default slope", .leakyRelu, inputs: { [$0.awayFromZero([2, 4])] }) {
      $0[0].leakyRelu()
    },
    GradCase("leakyRelu slope 0.01", .leakyRelu, inputs: { [$0.awayFromZero([2, 4])] }) {
      $0[0].leakyRelu(slope: 0.01)
    },
    GradCase("sigmoid", .sigmoid, inputs: { [$0.uniform([2, 4], -4, 4)] }) { $0[0].sigmoid() },
    GradCase("tanh", .tanh, inputs: { [$0.uniform([2, 4], -2, 2)] }) { $0[0].tanh() },
    GradCase("gelu", .gelu, inputs: { [$0.uniform([2, 4], -3, 3)] }) { $0[0].gelu() },
    GradCase("softmax [2,4] axis -1", .softmax, inputs: { [$0.uniform([2, 4], -2, 2)] }) {
      $0[0].softmax()
    },
    GradCase("softmax [3,2,2] axis 0", .softmax, inputs: { [$0.uniform([3, 2, 2], -2, 2)] }) {
      $0[0].softmax(axis: 0)
    },
    GradCase("softmax [2,3,2] axis 1", .softmax, inputs: { [$0.uniform([2, 3, 2], -2, 2)] }) {
      $0[0].softmax(axis: 1)
    },
    GradCase("logSoftmax [2,4] axis -1", .logSoftmax, inputs: { [$0.uniform([2, 4], -2, 2)] }) {
      $0[0].logSoftmax()
    },
    GradCase("logSoftmax [2,3,2] axis 1", .logSoftmax, inputs: { [$0.uniform([2, 3, 2], -2, 2)] }) {
      $0[0].logSoftmax(axis: 1)
    },
  ]

  static let reductions: [GradCase] = [
    GradCase("sum all [2,3,4]", .sum, inputs: { [$0.uniform([2, 3, 4])] }) { $0[0].sum() },
    GradCase("sum axes [1]", .sum, inputs: { [$0.uniform([2, 3, 4])] }) { $0[0].sum(axes: [1]) },
    GradCase("sum axes [0,2]", .sum, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].sum(axes: [0, 2])
    },
    GradCase("sum axes [0,2] keepDims", .sum, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].sum(axes: [0, 2], keepDims: true)
    },
    GradCase("sum axes [1,2] keepDims", .sum, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].sum(axes: [1, 2], keepDims: true)
    },
    GradCase("sum axis -1", .sum, inputs: { [$0.uniform([3, 4])] }) { $0[0].sum(axis: -1) },
    GradCase("sum all keepDims", .sum, inputs: { [$0.uniform([2, 3])] }) {
      $0[0].sum(axes: [0, 1], keepDims: true)
    },

    GradCase("reduceMax all", .reduceMax, inputs: { [$0.distinct([2, 3, 4])] }) { $0[0].max() },
    GradCase("reduceMax axes [1]", .reduceMax, inputs: { [$0.distinct([2, 3, 4])] }) {
      $0[0].max(axes: [1])
    },
    GradCase("reduceMax axes [0,2] keepDims", .reduceMax, inputs: { [$0.distinct([2, 3, 4])] }) {
      $0[0].max(axes: [0, 2], keepDims: true)
    },
    GradCase("reduceMax axes [-1]", .reduceMax, inputs: { [$0.distinct([3, 4])] }) {
      $0[0].max(axes: [-1])
    },
    GradCase("reduceMin all", .reduceMin, inputs: { [$0.distinct([2, 3, 4])] }) { $0[0].min() },
    GradCase("reduceMin axes [1]", .reduceMin, inputs: { [$0.distinct([2, 3, 4])] }) {
      $0[0].min(axes: [1])
    },
    GradCase("reduceMin axes [0,2] keepDims", .reduceMin, inputs: { [$0.distinct([2, 3, 4])] }) {
      $0[0].min(axes: [0, 2], keepDims: true)
    },
    GradCase("reduceMin axes [0]", .reduceMin, inputs: { [$0.distinct([4, 3])] }) {
      $0[0].min(axes: [0])
    },
  ]

  static let movement: [GradCase] = [
    // Multiplying by a constant ramp after a view makes the cotangent reach each element through
    // a different factor, so a view that scrambles the order cannot pass by accident.
    GradCase("reshape [2,3,4]->[6,4]", .reshape, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].reshaped([6, 4])
    },
    GradCase("reshape [2,3,4]->[-1]", .reshape, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].reshaped([-1])
    },
    GradCase("reshape [6]->[2,1,3]", .reshape, inputs: { [$0.uniform([6])] }) {
      $0[0].reshaped([2, 1, 3])
    },

    GradCase("permute [2,3,4] by [2,0,1]", .permute, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].permuted([2, 0, 1])
    },
    GradCase("permute [2,3,4] by [1,0,2]", .permute, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].permuted([1, 0, 2])
    },
    GradCase("permute transposed [3,4]", .permute, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].transposed()
    },

    GradCase("expand [3,1]->[2,3,4]", .expand, inputs: { [$0.uniform([3, 1])] }) {
      $0[0].expanded(to: [2, 3, 4])
    },
    GradCase("expand [1]->[2,3]", .expand, inputs: { [$0.uniform([1])] }) {
      $0[0].expanded(to: [2, 3])
    },
    GradCase("expand [2,1,3]->[2,4,3]", .expand, inputs: { [$0.uniform([2, 1, 3])] }) {
      $0[0].expanded(to: [2, 4, 3])
    },

    GradCase("slice axis 0 1..<3", .slice, inputs: { [$0.uniform([4, 3])] }) {
      $0[0].slice(axis: 0, 1..<3)
    },
    GradCase("slice axis -1 2..<5", .slice, inputs: { [$0.uniform([2, 5])] }) {
      $0[0].slice(axis: -1, 2..<5)
    },
    GradCase("slice axis 1 of rank 3", .slice, inputs: { [$0.uniform([2, 3, 4])] }) {
      $0[0].slice(axis: 1, 0..<2)
    },

    GradCase("pad [2,3] with 0.5", .pad, inputs: { [$0.uniform([2, 3])] }) {
      $0[0].padded([(1, 0), (0, 2)], value: 0.5)
    },
    GradCase("pad [2,2,2]", .pad, inputs: { [$0.uniform([2, 2, 2])] }) {
      $0[0].padded([(0, 0), (1, 1), (2, 0)])
    },

    GradCase(
      "concat three along axis 1", .concat,
      inputs: { [$0.uniform([2, 1]), $0.uniform([2, 3]), $0.uniform([2, 2])] }
    ) {
      Tensor.concatenate($0, axis: 1)
    },
    GradCase(
      "concat along axis 0", .concat, inputs: { [$0.uniform([1, 3]), $0.uniform([2, 3])] }
    ) {
      Tensor.concatenate($0, axis: 0)
    },
    GradCase("concat a tensor with itself", .concat, inputs: { [$0.uniform([2, 3])] }) {
      Tensor.concatenate([$0[0], $0[0]], axis: -1)
    },

    GradCase(
      "select mask [2,3], a [2,3], b [3]", .select,
      inputs: {
        [
          GradInput(shape: [2, 3], values: [1, 0, 1, 0, 0, 1]).constant(), $0.uniform([2, 3]),
          $0.uniform([3]),
        ]
      }
    ) { Tensor.select($0[0], $0[1], $0[2]) },
    GradCase(
      "select mask [3], a [2,3], b scalar", .select,
      inputs: {
        [GradInput(shape: [3], values: [0, 1, 1]).constant(), $0.uniform([2, 3]), $0.uniform([])]
      }
    ) { Tensor.select($0[0], $0[1], $0[2]) },
    GradCase(
      "select mask [2,1], a [1,3], b [2,3]", .select,
      inputs: {
        [
          GradInput(shape: [2, 1], values: [1, 0]).constant(), $0.uniform([1, 3]),
          $0.uniform([2, 3]),
        ]
      }
    ) { Tensor.select($0[0], $0[1], $0[2]) },

    GradCase("indexSelect axis 0 with repeats", .indexSelect, inputs: { [$0.uniform([4, 3])] }) {
      $0[0].indexSelect(IndexTensor([2, 0, 2]), axis: 0)
    },
    GradCase("indexSelect axis 1, indices [2,2]", .indexSelect, inputs: { [$0.uniform([2, 4])] }) {
      $0[0].indexSelect(indices([2, 2], [3, 1, 1, 0]), axis: 1)
    },
    GradCase("indexSelect axis -1 of rank 3", .indexSelect, inputs: { [$0.uniform([2, 3, 2])] }) {
      $0[0].indexSelect(IndexTensor([1, 1, 0]), axis: -1)
    },

    GradCase("indexAdd axis 1 with repeats", .indexAdd, inputs: { [$0.uniform([2, 3, 2])] }) {
      $0[0].indexAdd(IndexTensor([1, 3, 1]), axis: 1, size: 4)
    },
    GradCase("indexAdd axis 0", .indexAdd, inputs: { [$0.uniform([3, 2])] }) {
      $0[0].indexAdd(IndexTensor([0, 0, 2]), axis: 0, size: 3)
    },
    GradCase("indexAdd axis 0, indices [2,2]", .indexAdd, inputs: { [$0.uniform([2, 2, 3])] }) {
      $0[0].indexAdd(indices([2, 2], [3, 0, 3, 1]), axis: 0, size: 4)
    },

    GradCase("gatherFlat with repeated offsets", .gatherFlat, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].gatherFlat([0, 5, 5, 11, 2], shape: [5])
    },
    GradCase("gatherFlat via gather(alongAxis: 1)", .gatherFlat, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].gather(indices([3, 2], [3, 0, 1, 1, 2, 0]), alongAxis: 1)
    },
    GradCase("gatherFlat via gather(alongAxis: 0)", .gatherFlat, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].gather(indices([2, 3], [2, 0, 1, 0, 2, 2]), alongAxis: 0)
    },

    GradCase("scatterFlat with repeated offsets", .scatterFlat, inputs: { [$0.uniform([5])] }) {
      $0[0].scatterFlat([0, 3, 3, 7, 1], shape: [2, 4])
    },
  ]

  static let linearAlgebra: [GradCase] = [
    GradCase("matmul [3,4]@[4,2]", .matmul, inputs: { [$0.uniform([3, 4]), $0.uniform([4, 2])] }) {
      $0[0].matmul($0[1])
    },
    GradCase(
      "matmul transposeA [4,3]ᵀ@[4,2]", .matmul,
      inputs: { [$0.uniform([4, 3]), $0.uniform([4, 2])] }
    ) {
      $0[0].matmul($0[1], transposeA: true)
    },
    GradCase(
      "matmul transposeB [3,4]@[2,4]ᵀ", .matmul,
      inputs: { [$0.uniform([3, 4]), $0.uniform([2, 4])] }
    ) {
      $0[0].matmul($0[1], transposeB: true)
    },
    GradCase(
      "matmul transposeA+B [4,3]ᵀ@[2,4]ᵀ", .matmul,
      inputs: { [$0.uniform([4, 3]), $0.uniform([2, 4])] }
    ) {
      $0[0].matmul($0[1], transposeA: true, transposeB: true)
    },
    GradCase(
      "matmul batched [2,3,4]@[2,4,2]", .matmul,
      inputs: { [$0.uniform([2, 3, 4]), $0.uniform([2, 4, 2])] }
    ) {
      $0[0].matmul($0[1])
    },
    GradCase(
      "matmul batched transposeA+B [2,4,3]ᵀ@[2,2,4]ᵀ", .matmul,
      inputs: { [$0.uniform([2, 4, 3]), $0.uniform([2, 2, 4])] }
    ) { $0[0].matmul($0[1], transposeA: true, transposeB: true) },
    GradCase(
      "matmul broadcast batch [2,1,3,4]@[3,4,2]", .matmul,
      inputs: { [$0.uniform([2, 1, 3, 4]), $0.uniform([3, 4, 2])] }
    ) { $0[0].matmul($0[1]) },
    GradCase(
      "matmul batch [1,3,4]@[2,4,2] transposeB-free", .matmul,
      inputs: { [$0.uniform([1, 3, 4]), $0.uniform([2, 4, 2])] }
    ) { $0[0].matmul($0[1]) },
    GradCase(
      "matmul [2,3,4]@[4,2] (batch folded)", .matmul,
      inputs: { [$0.uniform([2, 3, 4]), $0.uniform([4, 2])] }
    ) {
      $0[0].matmul($0[1])
    },
    GradCase(
      "matmul [2,3,4]@[2,4]ᵀ (batch folded)", .matmul,
      inputs: { [$0.uniform([2, 3, 4]), $0.uniform([2, 4])] }
    ) {
      $0[0].matmul($0[1], transposeB: true)
    },
    GradCase(
      "matmul [2,4,3]ᵀ@[4,2]", .matmul, inputs: { [$0.uniform([2, 4, 3]), $0.uniform([4, 2])] }
    ) {
      $0[0].matmul($0[1], transposeA: true)
    },
    GradCase(
      "matmul [3,4]@[2,4,2]", .matmul, inputs: { [$0.uniform([3, 4]), $0.uniform([2, 4, 2])] }
    ) {
      $0[0].matmul($0[1])
    },
    GradCase(
      "matmul [4,3]ᵀ@[2,4,2]", .matmul, inputs: { [$0.uniform([4, 3]), $0.uniform([2, 4, 2])] }
    ) { $0[0].matmul($0[1], transposeA: true) },
    GradCase(
      "matmul [3,4]@[2,2,4]ᵀ", .matmul, inputs: { [$0.uniform([3, 4]), $0.uniform([2, 2, 4])] }
    ) { $0[0].matmul($0[1], transposeB: true) },
    GradCase(
      "matmul vector [4]@[2,4]ᵀ", .matmul, inputs: { [$0.uniform([4]), $0.uniform([2, 4])] }
    ) { $0[0].matmul($0[1], transposeB: true) },
    GradCase(
      "matmul [4,3]ᵀ@vector [4]", .matmul, inputs: { [$0.uniform([4, 3]), $0.uniform([4])] }
    ) { $0[0].matmul($0[1], transposeA: true) },
    GradCase(
      "matmul vector [4]@[4,2]", .matmul, inputs: { [$0.uniform([4]), $0.uniform([4, 2])] }
    ) { $0[0].matmul($0[1]) },
    GradCase(
      "matmul [3,4]@vector [4]", .matmul, inputs: { [$0.uniform([3, 4]), $0.uniform([4])] }
    ) { $0[0].matmul($0[1]) },
    GradCase(
      "matmul vector [4]@[2,4,3]", .matmul, inputs: { [$0.uniform([4]), $0.uniform([2, 4, 3])] }
    ) {
      $0[0].matmul($0[1])
    },
    GradCase(
      "matmul vector [4]@vector [4]", .matmul, inputs: { [$0.uniform([4]), $0.uniform([4])] }
    ) { $0[0].matmul($0[1]) },

    GradCase(
      "unfold stride (2,1), dilation (1,2), asymmetric pads", .unfold,
      inputs: { [$0.uniform([1, 2, 5, 5])] }
    ) {
      $0[0].unfold(
        geometry(
          input: (5, 5), kernel: (3, 2), stride: (2, 1), dilation: (1, 2), before: (1, 0),
          after: (0, 1)))
    },
    GradCase("unfold batch 2, pad 1", .unfold, inputs: { [$0.uniform([2, 1, 3, 3])] }) {
      $0[0].unfold(geometry(input: (3, 3), kernel: (2, 2), before: (1, 1), after: (1, 1)))
    },
    GradCase("fold overlapping windows", .fold, inputs: { [$0.uniform([4, 9])] }) {
      $0[0].fold(geometry(input: (4, 4), kernel: (2, 2)), shape: [1, 1, 4, 4])
    },
    GradCase("fold stride (2,1), dilation (2,1), pads", .fold, inputs: { [$0.uniform([6, 6])] }) {
      $0[0].fold(
        geometry(
          input: (4, 3), kernel: (2, 3), stride: (2, 1), dilation: (2, 1), before: (1, 1),
          after: (0, 1)),
        shape: [1, 1, 4, 3])
    },

    // A fused LSTM layer: every input (projections, recurrent weight, initial h and c) checked,
    // through the output rows (h_1 … h_T) and the final cell state (row T).
    GradCase(
      "lstmSequence T 3, B 2, H 2", .lstm,
      inputs: {
        [$0.uniform([3, 2, 8]), $0.uniform([8, 2], -0.5, 0.5), $0.uniform([2, 2]), $0.uniform([2, 2])]
      }
    ) { Tensor.lstmSequence(projected: $0[0], weightHH: $0[1], h0: $0[2], c0: $0[3]) },
    GradCase(
      "lstmSequence T 1, B 1, H 3", .lstm,
      inputs: { [$0.uniform([1, 1, 12]), $0.uniform([12, 3], -0.5, 0.5), $0.uniform([1, 3]), $0.uniform([1, 3])] }
    ) { Tensor.lstmSequence(projected: $0[0], weightHH: $0[1], h0: $0[2], c0: $0[3]) },

    // Fused multi-head attention over packed projections, causal and not.
    GradCase("selfAttention causal, B 2, T 3, 2 heads of 1", .attention, inputs: { [$0.uniform([2, 3, 6])] }) {
      Tensor.selfAttention(packed: $0[0], heads: 2, causal: true)
    },
    GradCase("selfAttention not causal, B 1, T 4, 1 head of 3", .attention, inputs: { [$0.uniform([1, 4, 9])] }) {
      Tensor.selfAttention(packed: $0[0], heads: 1, causal: false)
    },

    // The three implicit-GEMM convolution products, each with every input checked.
    GradCase(
      "convolution stride (2,1), dilation (1,2), asymmetric pads, bias", .convolution,
      inputs: { [$0.uniform([2, 2, 4, 4]), $0.uniform([3, 2, 3, 2], -0.5, 0.5), $0.uniform([3])] }
    ) {
      Tensor.convolution(
        $0[0], $0[1], bias: $0[2],
        geometry(input: (4, 4), kernel: (3, 2), stride: (2, 1), dilation: (1, 2), before: (1, 0), after: (0, 1)))
    },
    GradCase(
      "convolutionTranspose stride 2, pads, bias", .convolutionTranspose,
      inputs: { [$0.uniform([2, 3, 3, 3]), $0.uniform([3, 2, 3, 3], -0.5, 0.5), $0.uniform([2])] }
    ) {
      Tensor.convolutionTranspose(
        $0[0], $0[1], bias: $0[2], geometry(input: (6, 6), kernel: (3, 3), stride: (2, 2), before: (1, 1), after: (1, 0)))
    },
    GradCase(
      "convolutionTranspose one channel (split by image)", .convolutionTranspose,
      inputs: { [$0.uniform([3, 2, 2, 3]), $0.uniform([2, 1, 2, 2], -0.5, 0.5)] }
    ) {
      Tensor.convolutionTranspose($0[0], $0[1], bias: nil, geometry(input: (3, 4), kernel: (2, 2)))
    },
    GradCase(
      "convolutionWeightGradient stride 2, dilation (2,1), pads", .convolutionWeightGradient,
      inputs: { [$0.uniform([2, 2, 4, 4]), $0.uniform([2, 3, 2, 2])] }
    ) {
      Tensor.convolutionWeightGradient(
        $0[0], $0[1],
        geometry(input: (4, 4), kernel: (2, 2), stride: (2, 2), dilation: (2, 1), before: (1, 0), after: (0, 1)))
    },

    // The same three channels-last (`[N, H, W, C]`), the transposed one over four output phases.
    GradCase(
      "convolutionChannelsLast stride (2,1), dilation (1,2), asymmetric pads, bias", .convolutionChannelsLast,
      inputs: { [$0.uniform([2, 4, 4, 2]), $0.uniform([3, 2, 3, 2], -0.5, 0.5), $0.uniform([3])] }
    ) {
      Tensor.convolutionChannelsLast(
        $0[0], $0[1], bias: $0[2],
        geometry(input: (4, 4), kernel: (3, 2), stride: (2, 1), dilation: (1, 2), before: (1, 0), after: (0, 1)))
    },
    GradCase(
      "convolutionTransposeChannelsLast stride 2, pads, bias", .convolutionTransposeChannelsLast,
      inputs: { [$0.uniform([2, 3, 3, 3]), $0.uniform([3, 2, 3, 3], -0.5, 0.5), $0.uniform([2])] }
    ) {
      Tensor.convolutionTransposeChannelsLast(
        $0[0], $0[1], bias: $0[2], geometry(input: (6, 6), kernel: (3, 3), stride: (2, 2), before: (1, 1), after: (1, 0)))
    },
    GradCase(
      "convolutionWeightGradientChannelsLast stride 2, dilation (2,1), pads", .convolutionWeightGradientChannelsLast,
      inputs: { [$0.uniform([2, 4, 4, 2]), $0.uniform([2, 2, 2, 3])] }
    ) {
      Tensor.convolutionWeightGradientChannelsLast(
        $0[0], $0[1],
        geometry(input: (4, 4), kernel: (2, 2), stride: (2, 2), dilation: (2, 1), before: (1, 0), after: (0, 1)))
    },
  ]

  static let normalizationAndLosses: [GradCase] = [
    GradCase("normalize [3,4] over [1]", .normalize, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].normalized(overAxes: [1]).normalized
    },
    GradCase("normalize [2,2,3] over [0,2]", .normalize, inputs: { [$0.uniform([2, 2, 3])] }) {
      $0[0].normalized(overAxes: [0, 2]).normalized
    },
    GradCase("normalize [2,3] over all axes", .normalize, inputs: { [$0.uniform([2, 3])] }) {
      $0[0].normalized(overAxes: [0, 1]).normalized
    },
    GradCase(
      "normalize batch norm [2,3,2,2] over [0,2,3], scale and offset [3]", .normalize,
      inputs: { [$0.uniform([2, 3, 2, 2]), $0.uniform([3]), $0.uniform([3])] }
    ) { $0[0].normalized(overAxes: [0, 2, 3], scale: $0[1], offset: $0[2]).normalized },
    GradCase(
      "normalize [3,4] over [1], scale only", .normalize,
      inputs: { [$0.uniform([3, 4]), $0.uniform([3])] }
    ) { $0[0].normalized(overAxes: [1], scale: $0[1]).normalized },
    GradCase(
      "normalize [3,4] over [-1], offset only", .normalize,
      inputs: { [$0.uniform([3, 4]), $0.uniform([3])] }
    ) { $0[0].normalized(overAxes: [-1], offset: $0[1]).normalized },
    // Rows of 5 and 18: all tail on the wide paths, and a full vector plus a tail on each.
    GradCase(
      "layerNorm [3,5], weight and bias [5]", .layerNorm,
      inputs: { [$0.uniform([3, 5]), $0.uniform([5]), $0.uniform([5])] }
    ) { $0[0].layerNormalized(weight: $0[1], bias: $0[2]) },
    GradCase(
      "layerNorm [2,18], weight only", .layerNorm,
      inputs: { [$0.uniform([2, 18]), $0.uniform([18])] }
    ) { $0[0].layerNormalized(weight: $0[1]) },
    GradCase("layerNorm [2,2,3] over the last two axes, no affine", .layerNorm, inputs: { [$0.uniform([2, 2, 3])] }) {
      $0[0].layerNormalized(overLast: 2)
    },
    GradCase(
      "layerNorm [2,3], bias only, shaped [1,3]", .layerNorm,
      inputs: { [$0.uniform([2, 3]), $0.uniform([1, 3])] }
    ) { $0[0].layerNormalized(bias: $0[1]) },
    GradCase(
      "softmaxCrossEntropy [3,4] mean", .softmaxCrossEntropy,
      inputs: { [$0.uniform([3, 4], -2, 2)] }
    ) {
      $0[0].softmaxCrossEntropy(targets: IndexTensor([2, 0, 3]))
    },
    GradCase(
      "softmaxCrossEntropy [2,2,3] none", .softmaxCrossEntropy,
      inputs: { [$0.uniform([2, 2, 3], -2, 2)] }
    ) {
      $0[0].softmaxCrossEntropy(targets: indices([2, 2], [0, 2, 1, 1]), reduction: .none)
    },
    GradCase(
      "softmaxCrossEntropy [4] sum", .softmaxCrossEntropy, inputs: { [$0.uniform([4], -2, 2)] }
    ) {
      $0[0].softmaxCrossEntropy(targets: indices([], [1]), reduction: .sum)
    },
    // Fused where the targets have the logits' shape; smooth everywhere (softplus), so the
    // logits may sit on either side of 0.
    GradCase(
      "binaryCrossEntropy none [3,4]", .binaryCrossEntropyWithLogits,
      inputs: { [$0.uniform([3, 4], -6, 6), $0.positive([3, 4], 0, 1)] }
    ) { $0[0].binaryCrossEntropy(withLogitsTargets: $0[1], reduction: .none) },
    // Three members holding the same values: the sum is 3x, and so is its gradient.
    GradCase("allSum [2,3] over 3 replicas", .allSum, inputs: { [$0.uniform([2, 3])] }) {
      $0[0].allSum(over: ReplicaGroup(size: 3))
    },
  ]

  /// Every primitive case; each names the `OpKind` it checks.
  static let primitives: [GradCase] =
    arithmetic + activations + reductions + movement + linearAlgebra
    + normalizationAndLosses

  // MARK: - Composites

  static let composites: [GradCase] = [
    GradCase("mean all", nil, inputs: { [$0.uniform([2, 3, 2])] }) { $0[0].mean() },
    GradCase("mean axes [0,2] keepDims", nil, inputs: { [$0.uniform([2, 3, 2])] }) {
      $0[0].mean(axes: [0, 2], keepDims: true)
    },
    GradCase("mean axis 1", nil, inputs: { [$0.uniform([2, 3, 2])] }) { $0[0].mean(axis: 1) },
    GradCase("variance axes [1] unbiased", nil, inputs: { [$0.uniform([3, 4])] }) {
      $0[0].variance(axes: [1], correction: 1)
    },
    GradCase("variance all keepDims", nil, inputs: { [$0.uniform([2, 3])] }) {
      $0[0].variance(keepDims: true)
    },
    GradCase("logSumExp axes [1]", nil, inputs: { [$0.uniform([3, 4], -2, 2)] }) {
      $0[0].logSumExp(axes: [1])
    },
    GradCase("logSumExp all", nil, inputs: { [$0.uniform([2, 3], -2, 2)] }) { $0[0].logSumExp() },
    GradCase("logSumExp axes [0] keepDims", nil, inputs: { [$0.uniform([3, 2, 2], -2, 2)] }) {
      $0[0].logSumExp(axes: [0], keepDims: true)
    },
    GradCase("softplus", nil, inputs: { [$0.awayFromZero([2, 4], 0.1, 4)] }) { $0[0].softplus() },
    GradCase("silu", nil, inputs: { [$0.uniform([2, 4], -3, 3)] }) { $0[0].silu() },
    GradCase("gelu exact", nil, inputs: { [$0.uniform([2, 4], -3, 3)] }) { $0[0].gelu() },
    GradCase("gelu approximate", nil, inputs: { [$0.uniform([2, 4], -3, 3)] }) {
      $0[0].gelu(approximate: true)
    },
    GradCase("squared", nil, inputs: { [$0.uniform([2, 3])] }) { $0[0].squared() },

    GradCase(
      "binaryCrossEntropy mean", nil,
      inputs: { [$0.awayFromZero([2, 3], 0.1, 3), $0.positive([2, 3], 0, 1)] }
    ) {
      $0[0].binaryCrossEntropy(withLogitsTargets: $0[1])
    },
    GradCase(
      "binaryCrossEntropy none, broadcast targets", nil,
      inputs: { [$0.awayFromZero([2, 3], 0.1, 3), $0.positive([3], 0, 1)] }
    ) { $0[0].binaryCrossEntropy(withLogitsTargets: $0[1], reduction: .none) },
    GradCase("meanSquaredError mean", nil, inputs: { [$0.uniform([2, 3]), $0.uniform([2, 3])] }) {
      $0[0].meanSquaredError($0[1])
    },
    GradCase(
      "meanSquaredError sum, broadcast target", nil,
      inputs: { [$0.uniform([2, 3]), $0.uniform([3])] }
    ) {
      $0[0].meanSquaredError($0[1], reduction: .sum)
    },
    GradCase(
      "l1Loss mean", nil,
      inputs: { [$0.grid([2, 3], offset: 0), $0.grid([2, 3], offset: 0.125)] }
    ) {
      $0[0].l1Loss($0[1])
    },
    GradCase(
      "l1Loss none", nil,
      inputs: { [$0.grid([2, 3], offset: 0.125), $0.grid([2, 3], offset: 0)] }
    ) {
      $0[0].l1Loss($0[1], reduction: .none)
    },
    GradCase(
      "klDivergenceFromStandardNormal", nil,
      inputs: { [$0.uniform([2, 3]), $0.uniform([2, 3], -1, 1)] }
    ) {
      klDivergenceFromStandardNormal(mean: $0[0], logVariance: $0[1])
    },

    // Convolutions: every input (data, weight, bias) is checked.
    GradCase(
      "conv2d stride 2 .same odd size, bias", nil,
      inputs: {
        [$0.uniform([1, 2, 5, 5]), $0.uniform([3, 2, 3, 3], -0.5, 0.5), $0.uniform([3])]
      }
    ) { $0[0].conv2d($0[1], bias: $0[2], stride: (2, 2), padding: .same) },
    GradCase(
      "conv2d stride 2 .same even size, kernel 4", nil,
      inputs: { [$0.uniform([1, 1, 6, 6]), $0.uniform([2, 1, 4, 4], -0.5, 0.5)] }
    ) { $0[0].conv2d($0[1], stride: (2, 2), padding: .same) },
    GradCase(
      "conv2d dilation 2, symmetric pad 1", nil,
      inputs: { [$0.uniform([1, 1, 6, 6]), $0.uniform([2, 1, 2, 2], -0.5, 0.5)] }
    ) { $0[0].conv2d($0[1], padding: .symmetric(1), dilation: (2, 2)) },
    GradCase(
      "conv2d .same stride 1 kernel 2 (pad after only)", nil,
      inputs: { [$0.uniform([1, 1, 4, 5]), $0.uniform([1, 1, 2, 2], -0.5, 0.5)] }
    ) { $0[0].conv2d($0[1], padding: .same) },
    GradCase(
      "conv2d groups 2, bias", nil,
      inputs: {
        [$0.uniform([1, 4, 4, 4]), $0.uniform([4, 2, 2, 2], -0.5, 0.5), $0.uniform([4])]
      }
    ) { $0[0].conv2d($0[1], bias: $0[2], groups: 2) },
    GradCase(
      "conv2d batch 2, explicit pads, stride (1,2)", nil,
      inputs: { [$0.uniform([2, 1, 4, 4]), $0.uniform([2, 1, 3, 3], -0.5, 0.5)] }
    ) { $0[0].conv2d($0[1], stride: (1, 2), padding: .explicit(before: [1, 0], after: [0, 2])) },
    GradCase(
      "conv1d stride 2 .same, bias", nil,
      inputs: { [$0.uniform([2, 2, 6]), $0.uniform([3, 2, 3], -0.5, 0.5), $0.uniform([3])] }
    ) { $0[0].conv1d($0[1], bias: $0[2], stride: 2, padding: .same) },
    GradCase(
      "conv1d groups 2, dilation 2", nil,
      inputs: { [$0.uniform([1, 4, 7]), $0.uniform([2, 2, 2], -0.5, 0.5)] }
    ) {
      $0[0].conv1d($0[1], dilation: 2, groups: 2)
    },
    GradCase(
      "convTranspose2d .same stride 2, bias", nil,
      inputs: {
        [$0.uniform([1, 2, 3, 3]), $0.uniform([2, 2, 3, 3], -0.5, 0.5), $0.uniform([2])]
      }
    ) { $0[0].convTranspose2d($0[1], bias: $0[2], stride: (2, 2), padding: .same) },
    GradCase(
      "convTranspose2d .same stride 2 kernel 5", nil,
      inputs: { [$0.uniform([1, 1, 2, 3]), $0.uniform([1, 2, 5, 5], -0.5, 0.5)] }
    ) { $0[0].convTranspose2d($0[1], stride: (2, 2), padding: .same) },
    GradCase(
      "convTranspose2d .same stride 3 kernel 2 (zero tail)", nil,
      inputs: { [$0.uniform([1, 2, 2, 2]), $0.uniform([2, 1, 2, 2], -0.5, 0.5)] }
    ) { $0[0].convTranspose2d($0[1], stride: (3, 3), padding: .same) },
    GradCase(
      "convTranspose2d padding 1 outputPadding 1 stride 2", nil,
      inputs: { [$0.uniform([1, 2, 3, 3]), $0.uniform([2, 1, 3, 3], -0.5, 0.5)] }
    ) {
      $0[0].convTranspose2d($0[1], stride: (2, 2), padding: .symmetric(1), outputPadding: (1, 1))
    },
    GradCase(
      "convTranspose2d outputPadding > padding", nil,
      inputs: { [$0.uniform([1, 1, 3, 3]), $0.uniform([1, 2, 3, 3], -0.5, 0.5)] }
    ) {
      $0[0].convTranspose2d(
        $0[1], stride: (2, 2), padding: .explicit(before: [0, 1], after: [0, 1]),
        outputPadding: (1, 1))
    },
    GradCase(
      "convTranspose2d groups 2, dilation 2", nil,
      inputs: {
        [$0.uniform([1, 2, 3, 3]), $0.uniform([2, 1, 2, 2], -0.5, 0.5), $0.uniform([2])]
      }
    ) { $0[0].convTranspose2d($0[1], bias: $0[2], dilation: (2, 2), groups: 2) },
    GradCase(
      "convTranspose1d .same stride 2, bias", nil,
      inputs: { [$0.uniform([1, 2, 4]), $0.uniform([2, 3, 3], -0.5, 0.5), $0.uniform([3])] }
    ) { $0[0].convTranspose1d($0[1], bias: $0[2], stride: 2, padding: .same) },
    GradCase(
      "convTranspose1d padding 1 outputPadding 1", nil,
      inputs: { [$0.uniform([2, 1, 4]), $0.uniform([1, 2, 3], -0.5, 0.5)] }
    ) { $0[0].convTranspose1d($0[1], stride: 2, padding: .symmetric(1), outputPadding: 1) },

    GradCase("avgPool2d kernel 2", nil, inputs: { [$0.uniform([1, 2, 4, 4])] }) {
      $0[0].avgPool2d(kernel: (2, 2))
    },
    GradCase("avgPool2d kernel 3 stride 2 pad 1", nil, inputs: { [$0.uniform([1, 1, 5, 5])] }) {
      $0[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: .symmetric(1))
    },
    GradCase("avgPool2d kernel (2,3) stride (1,2)", nil, inputs: { [$0.uniform([2, 1, 3, 5])] }) {
      $0[0].avgPool2d(kernel: (2, 3), stride: (1, 2))
    },
    GradCase("maxPool2d kernel 2", nil, inputs: { [$0.distinct([1, 2, 4, 4])] }) {
      $0[0].maxPool2d(kernel: (2, 2))
    },
    GradCase(
      "maxPool2d kernel 3 stride 1 (overlapping)", nil, inputs: { [$0.distinct([1, 1, 5, 5])] }
    ) {
      $0[0].maxPool2d(kernel: (3, 3), stride: (1, 1))
    },
    GradCase("maxPool2d kernel 3 stride 2 pad 1", nil, inputs: { [$0.distinct([1, 1, 5, 5])] }) {
      $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: .symmetric(1))
    },
    GradCase("upsampleNearest2d (2,3)", nil, inputs: { [$0.uniform([1, 2, 2, 3])] }) {
      $0[0].upsampleNearest2d(scale: (2, 3))
    },

    GradCase(
      "stack axis 1", nil,
      inputs: { [$0.uniform([2, 3]), $0.uniform([2, 3]), $0.uniform([2, 3])] }
    ) {
      Tensor.stack($0, axis: 1)
    },
    GradCase("split sizes [1,2] recombined", nil, inputs: { [$0.uniform([2, 3])] }) {
      let parts = $0[0].split(sizes: [1, 2], axis: 1)
      return Tensor.concatenate([parts[1], parts[0] * 3], axis: 1)
    },
    GradCase("split parts 2 along axis 0", nil, inputs: { [$0.uniform([4, 2])] }) {
      let parts = $0[0].split(parts: 2, axis: 0)
      return parts[0] * parts[1]
    },
    GradCase("dropout p 0.5 with a fixed mask", nil, inputs: { [$0.uniform([3, 4])] }) {
      var rng = SeededGenerator(seed: 7)
      return $0[0].dropout(p: 0.5, using: &rng)
    },
    GradCase(
      "normalize over [1] of [2,3,2]: kept axes not contiguous, scale [4], offset [2,2]", nil,
      inputs: { [$0.uniform([2, 3, 2]), $0.uniform([4]), $0.uniform([2, 2])] }
    ) { $0[0].normalized(overAxes: [1], scale: $0[1], offset: $0[2]).normalized },
    GradCase(
      "layer norm with affine", nil,
      inputs: { [$0.uniform([3, 4]), $0.uniform([4]), $0.uniform([4])] }
    ) {
      $0[0].normalized(overAxes: [-1]).normalized * $0[1] + $0[2]
    },
    GradCase(
      "causal attention with -inf mask", nil,
      inputs: { [$0.uniform([3, 2]), $0.uniform([3, 2]), $0.uniform([3, 2])] }
    ) { x in
      let causal = GradCheck.tensor([3, 3], [1, 0, 0, 1, 1, 0, 1, 1, 1])
      let scores = Tensor.select(
        causal, x[0].matmul(x[1], transposeB: true) * Float(0.5).squareRoot(), Tensor(-.infinity))
      return scores.softmax(axis: -1).matmul(x[2])
    },
  ]

  /// The primitives and the composites.
  static var all: [GradCase] { primitives + composites }
}

// MARK: - Tests

@Suite struct GradCheckTests {
  @Test func catalogCoversEveryOp() {
    let covered = Set(GradCatalog.primitives.compactMap(\.kind))
    let all = Set(OpKind.allCases)
    #expect(
      covered == all,
      "ops without a gradient check: \(all.subtracting(covered).map(\.rawValue).sorted())")
  }

  /// A case that names an op must record it, or `catalogCoversEveryOp` counts coverage the
  /// catalog lacks. Checked here rather than in the harness: the graph walk is internal API,
  /// and the harness (GenAITestSupport) uses public API only.
  @Test(arguments: GradCatalog.all.filter { $0.kind != nil })
  func caseRecordsItsOp(_ c: GradCase) throws {
    let kind = try #require(c.kind)
    let leaves = c.inputs.map { GradCheck.tensor($0.shape, $0.values).requiringGrad($0.checked) }
    let out = c.f(leaves)
    #expect(
      out.topologicalOrder().contains { $0.op == kind },
      "[\(c.name)] op '\(kind.rawValue)' does not occur in the graph of f")
  }

  @Test func caseNamesAreUnique() {
    // Names seed the inputs and cotangents, and name failures: a duplicate would be ambiguous.
    let names = (GradCatalog.primitives + GradCatalog.composites).map(\.name)
    #expect(Set(names).count == names.count)
  }

  @Test func caseInputsAreSmall() {
    for c in GradCatalog.primitives + GradCatalog.composites {
      for (i, input) in c.inputs.enumerated() {
        #expect(
          input.values.count <= 64, "[\(c.name)] input \(i) has \(input.values.count) elements")
      }
    }
  }

  @Test(arguments: GradCatalog.primitives)
  func primitive(_ c: GradCase) throws {
    try GradCheck.run(c)
  }

  @Test(arguments: GradCatalog.composites)
  func composite(_ c: GradCase) throws {
    try GradCheck.run(c)
  }

  // MARK: Every kernel path

  // The whole catalogue once more on each kernel path (`withKernelPath` reaches the pool's
  // workers too), so the products, convolutions and their pullbacks of every path are checked.
  // A path this CPU lacks is reported as skipped.

  @Test("Gradient checks on the portable path", .requires(.portable), arguments: GradCatalog.all)
  func portablePath(_ c: GradCase) throws { try withKernelPath(.portable) { _ = try GradCheck.run(c) } }

  @Test("Gradient checks on the avx2 path", .requires(.avx2), arguments: GradCatalog.all)
  func avx2Path(_ c: GradCase) throws { try withKernelPath(.avx2) { _ = try GradCheck.run(c) } }

  @Test("Gradient checks on the avx512 path", .requires(.avx512), arguments: GradCatalog.all)
  func avx512Path(_ c: GradCase) throws { try withKernelPath(.avx512) { _ = try GradCheck.run(c) } }

  @Test("Gradient checks on the neon path", .requires(.neon), arguments: GradCatalog.all)
  func neonPath(_ c: GradCase) throws { try withKernelPath(.neon) { _ = try GradCheck.run(c) } }

  // MARK: Harness self-checks

  /// A pullback off by 1% must fail the check, or the harness proves nothing.
  @Test func harnessCatchesAWrongScale() throws {
    let c = GradCase("self-check: exp with a 1% error", .exp, inputs: { [$0.uniform([2, 3])] }) {
      x in
      Tensor.record(.exp, shape: x[0].shape, storage: Kernels.map(x[0], _exp), inputs: [x[0]]) {
        g, out, _ in
        [g * out * 1.01]
      }
    }
    var report = GradCheckReport()
    withKnownIssue { report = try GradCheck.run(c) }
    #expect(report.failures > 0)
  }

  /// A pullback that is right only for an all-ones cotangent (it forgets to reverse the gradient
  /// of a reversal) passes `f(x).sum()` but must fail against a random cotangent.
  @Test func harnessCatchesAVJPThatOnlyWorksForOnes() throws {
    let c = GradCase(
      "self-check: reversal without reversing the gradient", .gatherFlat,
      inputs: { [$0.uniform([5])] }
    ) {
      x in
      Tensor.record(
        .gatherFlat, shape: [5], storage: Storage(Array(x[0].scalars.reversed())), inputs: [x[0]]
      ) { g, _, _ in
        [g]
      }
    }
    var report = GradCheckReport()
    withKnownIssue { report = try GradCheck.run(c) }
    #expect(report.failures > 0)
  }

  /// The fixed-mask dropout case must really drop something, or it checks the identity.
  @Test func dropoutCaseHasZeros() {
    var rng = SeededGenerator(seed: 7)
    let y = Tensor.ones([3, 4]).dropout(p: 0.5, using: &rng)
    #expect(y.scalars.contains(0) && y.scalars.contains(2))
  }

  /// Tied maxima share the gradient equally (documented behaviour; not reachable by differences).
  @Test func tiedMaximaShareTheGradient() throws {
    let x = try Tensor(shape: [2, 3], [1, 3, 3, 0, -1, 0]).requiringGrad()
    try x.max(axes: [1]).sum().backward()
    #expect(x.grad?.scalars == [0, 0.5, 0.5, 0.5, 0, 0.5])
    let y = try Tensor(shape: [3], [2, 2, 5]).requiringGrad()
    try y.min().backward()
    #expect(y.grad?.scalars == [0.5, 0.5, 0])
  }
}
