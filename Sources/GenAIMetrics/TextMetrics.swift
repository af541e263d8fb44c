import Foundation

/// Text-generation metrics on characters (Unicode scalars): novelty against the training text,
/// self-repetition, and the conversions between a cross-entropy in nats and perplexity or bits
/// per character.
///
/// n-grams are compared by a 64-bit FNV-1a hash of their scalars, so two different n-grams are
/// counted as the same with probability about `2⁻⁶⁴` per pair: negligible for texts of millions of
/// characters.
public enum TextMetrics {
  /// The share of the generated text's character n-grams that never occur in `training`, in
  /// [0, 1]: 0 is a verbatim copy, 1 is entirely new at this length. (A model that memorised its
  /// data scores near 0; one producing noise scores near 1.)
  /// - Throws: `MetricError` when `n < 1` or the generated text has fewer than `n` characters.
  public static func novelty(generated: String, training: String, n: Int = 8) throws -> Double {
    let grams = try hashes(generated, n: n, name: "novelty", what: "generated text")
    let known = Set(try hashes(training, n: n, name: "novelty", what: "training text"))
    return Double(grams.filter { !known.contains($0) }.count) / Double(grams.count)
  }

  /// The share of the text's character n-grams that already occurred earlier in the same text,
  /// in [0, 1): 0 when no n-gram repeats; near 1 for a text stuck in a loop.
  /// - Throws: `MetricError` when `n < 1` or the text has fewer than `n` characters.
  public static func repetitionRate(_ text: String, n: Int = 8) throws -> Double {
    let grams = try hashes(text, n: n, name: "repetition", what: "text")
    var seen = Set<UInt64>()
    var repeats = 0
    for g in grams where !seen.insert(g).inserted { repeats += 1 }
    return Double(repeats) / Double(grams.count)
  }

  /// `exp(nats)`: the perplexity of a mean cross-entropy in nats per character.
  public static func perplexity(nats: Double) -> Double { exp(nats) }

  /// `nats / ln 2`: bits per character of a mean cross-entropy in nats per character.
  public static func bitsPerCharacter(nats: Double) -> Double { nats / log(2) }

  /// The FNV-1a hash of every window of `n` scalars of `text`, in order.
  static func hashes(_ text: String, n: Int, name: String, what: String) throws -> [UInt64] {
    guard n >= 1 else { throw MetricError(metric: name, "n-gram length must be at least 1, got \(n)") }
    let scalars = Array(text.unicodeScalars)
    guard scalars.count >= n else {
      throw MetricError(metric: name, "the \(what) has \(scalars.count) characters, fewer than one \(n)-gram")
    }
    var out = [UInt64](repeating: 0, count: scalars.count - n + 1)
    for start in out.indices {
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      for s in scalars[start..<(start + n)] {
        h = (h ^ UInt64(s.value)) &* 0x0000_0100_0000_01b3
      }
      out[start] = h
    }
    return out
  }
}
