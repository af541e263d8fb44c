/// Every op the engine records in a graph. Composite ops (mean, GELU, losses, convolutions) are
/// built from these and need no pullback of their own.
///
/// The test suite checks that each case has a finite-difference gradient check, so a new op
/// cannot ship without one.
public enum OpKind: String, CaseIterable, Sendable {
  // Arithmetic
  case add, subtract, multiply, divide, negate, powScalar, pow
  case exp, log, sqrt, abs, clamp, minimum, maximum, erf
  // Activations
  case relu, leakyRelu, sigmoid, tanh, gelu, softmax, logSoftmax
  // Reductions
  case sum, reduceMax, reduceMin
  // Movement
  case reshape, permute, expand, slice, pad, concat, select
  case indexSelect, indexAdd, gatherFlat, scatterFlat
  // Linear algebra and convolution
  case matmul, unfold, fold
  case convolution, convolutionTranspose, convolutionWeightGradient
  case convolutionChannelsLast, convolutionTransposeChannelsLast, convolutionWeightGradientChannelsLast
  // Fused layers
  case lstm, attention
  // Normalisation and losses
  case normalize, layerNorm, softmaxCrossEntropy, binaryCrossEntropyWithLogits
  // Across processes
  case allSum
}
