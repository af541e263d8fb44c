#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// Scalar maths from the C library under names that do not clash with the `Tensor` methods.
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
@inline(__always) func _log(_ x: Float) -> Float { logf(x) }
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { sin(x) }
@inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func _erf(_ x: Float) -> Float { erff(x) }
@inline(__always) func _pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
@inline(__always) func _log1p(_ x: Float) -> Float { log1pf(x) }
