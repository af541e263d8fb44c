import GenAITensor

/// Failures of generated audio a listener notices at once: silence and clipping.
public enum AudioMetrics {
  /// The shares of clips `[N, T]` (or `[N, 1, T]`) that are silent (RMS < 0.005) and clipped
  /// (more than 8 samples at |x| ≥ 0.999), each in [0, 1].
  public static func silentAndClipped(_ clips: Tensor) -> (silent: Double, clipped: Double) {
    let n = clips.shape[0]
    guard n > 0 else { return (0, 0) }
    let t = clips.count / n
    let s = clips.scalars
    var silent = 0
    var clipped = 0
    for i in 0..<n {
      let clip = s[(i * t)..<((i + 1) * t)]
      if (clip.reduce(0) { $0 + Double($1 * $1) } / Double(t)).squareRoot() < 0.005 { silent += 1 }
      if clip.filter({ Swift.abs($0) >= 0.999 }).count > 8 { clipped += 1 }
    }
    return (Double(silent) / Double(n), Double(clipped) / Double(n))
  }
}
