/// Maps text to token ids and back: a character vocabulary built from a corpus, or the 256
/// byte values of UTF-8.
///
/// **Characters are Unicode scalars (code points)**, as in Python's `sorted(set(text))` that
/// nanoGPT's `shakespeare_char` uses: Swift's `Character` is a grapheme cluster, which would make
/// `"\r\n"` or `"e\u{301}"` single symbols whose presence depends on their neighbours. With
/// scalars, `decode(encode(s)) == s` exactly for any text over the vocabulary.
///
/// Character ids are the symbols' positions in code-point order (`0..<characters.count`), so a
/// vocabulary built from the same text always numbers it the same way. With the `.replace`
/// policy one more id, `characters.count`, is reserved for `<unk>`.
///
/// `Codable` so a checkpoint can keep the exact mapping its embedding was trained with.
///
/// ```swift
/// let vocab = Vocabulary.characters(in: "hello world", unknown: .replace(with: "?"))
/// let ids = try vocab.encode("hello, world")   // "," is unknown -> vocab.unknownID
/// vocab.decode(ids)                            // "hello? world"
/// ```
public struct Vocabulary: Sendable, Equatable, Codable {
  /// Character-level (symbols from a corpus) or byte-level (the 256 byte values of UTF-8).
  public enum Kind: String, Sendable, Codable {
    /// One id per distinct Unicode scalar of the corpus, in code-point order.
    case characters
    /// One id per byte value: ids `0..<256` are the bytes of the text's UTF-8; nothing is unknown.
    case bytes
  }

  /// What `encode` does with a character that is not in a character vocabulary.
  public enum UnknownPolicy: Sendable, Equatable, Codable {
    /// Throw a `DataError` naming the character and where it is.
    case error
    /// Leave it out of the ids.
    case skip
    /// Encode it as the reserved `<unk>` id; `decode` turns that id into `character`.
    case replace(with: Character)

    private enum CodingKeys: String, CodingKey { case policy, with }

    /// Decodes `{"policy": "error" | "skip" | "replace", "with": "?"}`.
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      switch try c.decode(String.self, forKey: .policy) {
      case "error": self = .error
      case "skip": self = .skip
      case "replace":
        let s = try c.decode(String.self, forKey: .with)
        guard s.count == 1, let ch = s.first else {
          throw DecodingError.dataCorruptedError(forKey: .with, in: c,
            debugDescription: "replacement must be exactly one character, got \(s.debugDescription)")
        }
        self = .replace(with: ch)
      case let other:
        throw DecodingError.dataCorruptedError(forKey: .policy, in: c,
          debugDescription: "unknown-character policy must be error, skip or replace, got \(other)")
      }
    }

    /// Encodes as `{"policy": ..., "with": ...}`.
    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      switch self {
      case .error: try c.encode("error", forKey: .policy)
      case .skip: try c.encode("skip", forKey: .policy)
      case .replace(let ch):
        try c.encode("replace", forKey: .policy)
        try c.encode(String(ch), forKey: .with)
      }
    }
  }

  /// The name shown for the reserved unknown id.
  public static let unknownToken = "<unk>"

  /// Character- or byte-level.
  public let kind: Kind
  /// The symbols of a character vocabulary in id order (code-point order); empty for bytes.
  public let characters: [Unicode.Scalar]
  /// What `encode` does with characters not in `characters` (irrelevant for bytes).
  public let unknownPolicy: UnknownPolicy

  /// Ids of scalars below 256 (-1 when absent): the common case without hashing.
  private let lowTable: [Int32]
  /// Ids of scalars at or above 256.
  private let highTable: [UInt32: Int]

  // MARK: - Building

  /// A character vocabulary over exactly `characters` (any order, duplicates ignored).
  public init(characters: some Sequence<Unicode.Scalar>, unknown: UnknownPolicy = .error) {
    self.init(kind: .characters, sorted: Array(Set(characters)).sorted { $0.value < $1.value }, unknown: unknown)
  }

  /// The character vocabulary of `text`: its distinct Unicode scalars, sorted by code point.
  public static func characters(in text: String, unknown: UnknownPolicy = .error) -> Vocabulary {
    // A presence bitmap for the low range keeps this a single fast pass over large corpora.
    var seenLow = [Bool](repeating: false, count: 256)
    var seenHigh = Set<UInt32>()
    for s in text.unicodeScalars {
      if s.value < 256 { seenLow[Int(s.value)] = true } else { seenHigh.insert(s.value) }
    }
    var values = (0..<256).filter { seenLow[$0] }.map { UInt32($0) }
    values += seenHigh.sorted()
    return Vocabulary(kind: .characters, sorted: values.compactMap(Unicode.Scalar.init), unknown: unknown)
  }

  /// The byte-level vocabulary: 256 ids, the bytes of UTF-8; every text encodes.
  public static let bytes = Vocabulary(kind: .bytes, sorted: [], unknown: .error)

  private init(kind: Kind, sorted: [Unicode.Scalar], unknown: UnknownPolicy) {
    self.kind = kind
    self.characters = sorted
    self.unknownPolicy = unknown
    var low = [Int32](repeating: -1, count: 256)
    var high: [UInt32: Int] = [:]
    for (id, s) in sorted.enumerated() {
      if s.value < 256 { low[Int(s.value)] = Int32(id) } else { high[s.value] = id }
    }
    self.lowTable = low
    self.highTable = high
  }

  // MARK: - Ids

  /// Number of ids: 256 for bytes; the characters, plus one for `<unk>` under `.replace`.
  public var size: Int {
    switch kind {
    case .bytes: return 256
    case .characters: return characters.count + (unknownID == nil ? 0 : 1)
    }
  }

  /// The reserved `<unk>` id (`characters.count`) under the `.replace` policy, else `nil`.
  public var unknownID: Int? {
    if kind == .characters, case .replace = unknownPolicy { return characters.count }
    return nil
  }

  /// The id of `scalar`, or `nil` when it is not in a character vocabulary (bytes: `nil`).
  public func id(of scalar: Unicode.Scalar) -> Int? {
    guard kind == .characters else { return nil }
    if scalar.value < 256 {
      let id = lowTable[Int(scalar.value)]
      return id >= 0 ? Int(id) : nil
    }
    return highTable[scalar.value]
  }

  /// A printable name for `id`: the character, `<unk>`, or for bytes `0x41`.
  public func symbol(for id: Int) -> String {
    switch kind {
    case .bytes: return "0x" + String(id, radix: 16, uppercase: true)
    case .characters:
      if id == unknownID { return Vocabulary.unknownToken }
      return id >= 0 && id < characters.count ? String(characters[id]) : "<invalid \(id)>"
    }
  }

  // MARK: - Encoding

  /// The token ids of `text`.
  /// - Parameters:
  ///   - text: the text to encode.
  ///   - source: a name for the text in error messages (a file path, `"prompt"`).
  /// - Throws: `DataError` under the `.error` policy at the first character not in the
  ///   vocabulary, naming it, its code point and its position. Byte vocabularies never throw.
  public func encode(_ text: String, source: String = "text") throws(DataError) -> [Int] {
    if kind == .bytes { return text.utf8.map { Int($0) } }
    var ids: [Int] = []
    ids.reserveCapacity(text.utf8.count)
    var position = 0
    for s in text.unicodeScalars {
      defer { position += 1 }
      if s.value < 256 {
        let id = lowTable[Int(s.value)]
        if id >= 0 { ids.append(Int(id)); continue }
      } else if let id = highTable[s.value] {
        ids.append(id)
        continue
      }
      switch unknownPolicy {
      case .skip: continue
      case .replace: ids.append(characters.count)
      case .error:
        throw DataError(file: source,
          "unknown character \(Vocabulary.describe(s)) at character \(position): not in the vocabulary of "
            + "\(characters.count) characters (build it from this text, or use the .skip or .replace policy)")
      }
    }
    return ids
  }

  /// The text of `ids`. `<unk>` becomes the `.replace` character; for bytes, invalid UTF-8 in the
  /// byte sequence (possible in a sample) becomes U+FFFD.
  /// - Precondition: every id is in `0..<size`.
  public func decode(_ ids: some Sequence<Int>) -> String {
    switch kind {
    case .bytes:
      let bytes = ids.map { id -> UInt8 in
        precondition(id >= 0 && id < 256, "[Vocabulary.decode] byte id \(id) is outside 0..<256")
        return UInt8(id)
      }
      return String(decoding: bytes, as: UTF8.self)
    case .characters:
      var scalars = String.UnicodeScalarView()
      let unknown = unknownID
      for id in ids {
        if id == unknown, case .replace(let ch) = unknownPolicy {
          scalars.append(contentsOf: ch.unicodeScalars)
          continue
        }
        precondition(id >= 0 && id < characters.count,
          "[Vocabulary.decode] id \(id) is outside the vocabulary's 0..<\(size)")
        scalars.append(characters[id])
      }
      return String(scalars)
    }
  }

  /// `'a' (U+0061)`, with control characters escaped: `'\n' (U+000A)`.
  static func describe(_ s: Unicode.Scalar) -> String {
    let code = "U+" + String(repeating: "0", count: max(0, 4 - String(s.value, radix: 16).count))
      + String(s.value, radix: 16, uppercase: true)
    return "'\(s.escaped(asASCII: false))' (\(code))"
  }

  // MARK: - Codable

  private enum CodingKeys: String, CodingKey { case kind, characters, unknown }

  /// Decodes `{"kind": "characters", "characters": "\n !...", "unknown": {...}}`.
  /// - Throws: `DecodingError` when the characters are not in strictly increasing code-point
  ///   order (the ids would not match the ones the vocabulary was saved with).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try c.decode(Kind.self, forKey: .kind)
    let unknown = try c.decodeIfPresent(UnknownPolicy.self, forKey: .unknown) ?? .error
    let symbols = Array(try c.decodeIfPresent(String.self, forKey: .characters)?.unicodeScalars ?? "".unicodeScalars)
    guard zip(symbols, symbols.dropFirst()).allSatisfy({ $0.value < $1.value }) else {
      throw DecodingError.dataCorruptedError(forKey: .characters, in: c,
        debugDescription: "vocabulary characters must be distinct and in code-point order")
    }
    guard kind == .characters || symbols.isEmpty else {
      throw DecodingError.dataCorruptedError(forKey: .characters, in: c,
        debugDescription: "a byte vocabulary has no character list")
    }
    self.init(kind: kind, sorted: symbols, unknown: unknown)
  }

  /// Encodes the kind, the characters as one string, and the unknown-character policy.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(kind, forKey: .kind)
    if kind == .characters {
      var view = String.UnicodeScalarView()
      view.append(contentsOf: characters)
      try c.encode(String(view), forKey: .characters)
      try c.encode(unknownPolicy, forKey: .unknown)
    }
  }
}
