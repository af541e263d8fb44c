import CGenAIKernels

/// A whole LSTM layer over a sequence as one recorded op.
///
/// Recorded step by step, a layer of `T` steps is ~10·T ops each way, and its recurrent weight
/// gradient is `T` small products added one by one. Fused, the forward pass is per step one
/// product against the recurrent weight packed once for the whole sequence plus one element-wise
/// kernel (`genai_lstm_cell_forward`); the backward pass is backpropagation through time with the
/// same packing, and the recurrent weight gradient is a single product over all steps.
///
/// Under `createGraph` the pullback re-runs the layer as ordinary recorded ops and
/// differentiates that, so gradients of gradients stay available.
extension Tensor {
  /// One LSTM layer: gates `[i, f, g, o] = projected[t] + h_{t−1}·W_hhᵀ`, `i, f, o = σ(·)`,
  /// `g = tanh(·)`, `c_t = f·c_{t−1} + i·g`, `h_t = o·tanh(c_t)` (PyTorch's gate order).
  ///
  /// - Parameters:
  ///   - projected: `[T, B, 4H]`, the input half of the gate pre-activations (`x_t·W_ihᵀ` plus
  ///     the biases), `T ≥ 1`.
  ///   - weightHH: `[4H, H]`, the recurrent weight.
  ///   - h0: `[B, H]`, the initial hidden state.
  ///   - c0: `[B, H]`, the initial cell state.
  /// - Returns: `[T + 1, B, H]`: rows `0 ..< T` are `h_1 … h_T`, row `T` is `c_T`.
  /// - Precondition: the shapes above.
  public static func lstmSequence(projected gx: Tensor, weightHH w: Tensor, h0: Tensor, c0: Tensor) -> Tensor {
    require(gx.rank == 3 && gx.shape[0] >= 1 && w.rank == 2 && w.shape[0] == 4 * w.shape[1] && gx.shape[2] == w.shape[0],
      "[lstmSequence] needs projected [T, B, 4H] and weightHH [4H, H], got \(shapeString(gx.shape)) and \(shapeString(w.shape))")
    let (T, B, H) = (gx.shape[0], gx.shape[1], w.shape[1])
    require(h0.shape == [B, H] && c0.shape == [B, H],
      "[lstmSequence] h0 and c0 must be [\(B), \(H)], got \(shapeString(h0.shape)) and \(shapeString(c0.shape))")
    let G = 4 * H
    let out = Storage(uninitializedCount: (T + 1) * B * H)
    // Saved for the backward pass: the gate activations and every cell state.
    let acts = Storage(uninitializedCount: T * B * G)
    let cells = Storage(uninitializedCount: T * B * H)
    let path = genai_path_active()
    let packed = genai_pack_b(path, 1, H, G, w.storage.base, H)  // op(B) = W_hhᵀ [H, 4H]
    defer { genai_packed_b_free(packed) }
    for t in 0..<T {
      // The product h_{t−1}·W_hhᵀ goes into the step's gates; the cell adds the projected input
      // as it reads them (no copy of the input into the gates first).
      let gates = acts.base + t * B * G, input = gx.storage.base + t * B * G
      let hPrev = t == 0 ? UnsafePointer(h0.storage.base) : UnsafePointer(out.base + (t - 1) * B * H)
      RecurrentKernels.gemm(m: B, n: G, k: H, a: hPrev, lda: H, packedB: packed, c: gates, ldc: G, beta: 0)
      let cPrev = t == 0 ? UnsafePointer(c0.storage.base) : UnsafePointer(cells.base + (t - 1) * B * H)
      let cOut = cells.base + t * B * H, hOut = out.base + t * B * H
      RecurrentKernels.rows(B, width: G) { r in
        let o = r.lowerBound
        genai_lstm_cell_forward(
          path, r.count, H, gates + o * G, G, input + o * G, G, cPrev + o * H, H, cOut + o * H, hOut + o * H, H)
      }
    }
    (out.base + T * B * H).update(from: cells.base + (T - 1) * B * H, count: B * H)

    return record(.lstm, shape: [T + 1, B, H], storage: out, inputs: [gx, w, h0, c0]) { g, y, xs in
      if GradMode.isEnabled {
        return lstmSequenceComposite(xs[0], xs[1], xs[2], xs[3]).gradients(of: xs, cotangent: g)
      }
      return lstmBackward(g: g, y: y, xs: xs, acts: acts, cells: cells, shape: (T, B, H))
    }
  }

  /// Backpropagation through time for `lstmSequence`, on the saved activations and cell states.
  private static func lstmBackward(
    g: Tensor, y: Tensor, xs: [Tensor], acts: Storage, cells: Storage, shape: (Int, Int, Int)
  ) -> [Tensor?] {
    let (T, B, H) = shape
    let G = 4 * H
    let (w, h0, c0) = (xs[1], xs[2], xs[3])
    let path = genai_path_active()
    let dgx = Storage(uninitializedCount: T * B * G)
    let dh = Storage(uninitializedCount: B * H)
    let dc = Storage(uninitializedCount: B * H)
    dc.base.update(from: g.storage.base + T * B * H, count: B * H)  // the gradient of c_T
    let packed = genai_pack_b(path, 0, G, H, w.storage.base, H)  // op(B) = W_hh [4H, H]
    defer { genai_packed_b_free(packed) }
    // dh_t: from the output, plus through the recurrence from step t + 1. The rows of the next
    // dh_t are copied in by the threads that run this step's cell, once it has read them.
    dh.base.update(from: g.storage.base + (T - 1) * B * H, count: B * H)
    for t in stride(from: T - 1, through: 0, by: -1) {
      if t < T - 1 {
        RecurrentKernels.gemm(
          m: B, n: H, k: G, a: dgx.base + (t + 1) * B * G, lda: G, packedB: packed, c: dh.base, ldc: H, beta: 1)
      }
      let cPrev = t == 0 ? UnsafePointer(c0.storage.base) : UnsafePointer(cells.base + (t - 1) * B * H)
      let a = acts.base + t * B * G, c = cells.base + t * B * H, d = dgx.base + t * B * G
      RecurrentKernels.rows(B, width: G) { r in
        let o = r.lowerBound
        genai_lstm_cell_backward(
          path, r.count, H, a + o * G, G, c + o * H, cPrev + o * H, H, dh.base + o * H, dc.base + o * H, H,
          d + o * G, G)
        if t > 0 { (dh.base + o * H).update(from: g.storage.base + (t - 1) * B * H + o * H, count: r.count * H) }
      }
    }
    var grads: [Tensor?] = [xs[0].requiresGrad ? Tensor(shape: xs[0].shape, storage: dgx) : nil, nil, nil, nil]
    if w.requiresGrad {
      // dW_hh = Σ_t dgates_tᵀ · h_{t−1}: h_0 for the first step, the outputs after it.
      let dw = Storage(uninitializedCount: G * H)
      BLAS.sgemm(
        transA: true, transB: false, m: G, n: H, k: B, a: dgx.base, lda: G, b: h0.storage.base, ldb: H, beta: 0,
        c: dw.base, ldc: H)
      if T > 1 {
        BLAS.sgemm(
          transA: true, transB: false, m: G, n: H, k: (T - 1) * B, a: dgx.base + B * G, lda: G, b: y.storage.base,
          ldb: H, beta: 1, c: dw.base, ldc: H)
      }
      grads[1] = Tensor(shape: w.shape, storage: dw)
    }
    if h0.requiresGrad {
      let dh0 = Storage(uninitializedCount: B * H)
      RecurrentKernels.gemm(m: B, n: H, k: G, a: dgx.base, lda: G, packedB: packed, c: dh0.base, ldc: H, beta: 0)
      grads[2] = Tensor(shape: [B, H], storage: dh0)
    }
    if c0.requiresGrad { grads[3] = Tensor(shape: [B, H], storage: dc) }
    return grads
  }

  /// The same layer as recorded per-step ops (for `createGraph`, and the reference in tests).
  static func lstmSequenceComposite(_ gx: Tensor, _ w: Tensor, _ h0: Tensor, _ c0: Tensor) -> Tensor {
    let T = gx.shape[0]
    var (h, c) = (h0, c0)
    var hs: [Tensor] = []
    for t in 0..<T {
      let gates = gx.slice(axis: 0, t..<(t + 1)).squeezed(axes: [0]) + h.matmul(w, transposeB: true)
      let parts = gates.split(parts: 4, axis: 1)
      let (i, f, g, o) = (parts[0].sigmoid(), parts[1].sigmoid(), parts[2].tanh(), parts[3].sigmoid())
      c = f * c + i * g
      h = o * c.tanh()
      hs.append(h)
    }
    return Tensor.stack(hs + [c], axis: 0)
  }

  /// The gradients of this tensor with respect to `inputs` for cotangent `g`, recorded (for a
  /// pullback that differentiates a recomputed composite under `createGraph`). Inputs that do
  /// not require a gradient get `nil`.
  func gradients(of inputs: [Tensor], cotangent g: Tensor) -> [Tensor?] {
    let wanted = inputs.filter(\.requiresGrad)
    guard !wanted.isEmpty, requiresGrad else { return inputs.map { _ in nil } }
    // Cannot fail: the cotangent has this tensor's shape and the tensor requires a gradient.
    let grads: [Tensor]
    do {
      grads = try GenAITensor.gradients(of: self, withRespectTo: wanted, cotangent: g, createGraph: true)
    } catch {
      preconditionFailure("[gradients] \(error)")
    }
    var k = 0
    return inputs.map { x in
      guard x.requiresGrad else { return nil }
      defer { k += 1 }
      return grads[k]
    }
  }
}

/// The products and row splits of the fused recurrent ops.
enum RecurrentKernels {
  /// `C = A·op(B) + beta·C` with op(B) prepacked, split over the pool.
  static func gemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packedB: OpaquePointer?,
    c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
  ) {
    var args = genai_sgemm_args(
      trans_a: 0, trans_b: 0, m: m, n: n, k: k, alpha: 1, beta: beta, a: a, lda: lda, b: nil, ldb: 0, c: c, ldc: ldc,
      packed_b: packedB)
    withUnsafePointer(to: &args) { p in
      var op = genai_gemm_op()
      genai_sgemm_op(&op, p)
      BLAS.run(op)
    }
  }

  /// Runs `body` on row ranges of `count` rows of `width` elements, split across the pool.
  static func rows(_ count: Int, width: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(count, grain: Swift.max(1, 8192 / Swift.max(width, 1)), body)
  }
}
