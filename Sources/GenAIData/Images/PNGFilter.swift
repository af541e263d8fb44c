/// PNG's five row filters (spec §9): each byte is stored as its difference from a prediction
/// made from the byte to its left (`a`, one pixel back), above (`b`) and above-left (`c`).
enum PNGFilter: UInt8, CaseIterable {
  /// The byte itself.
  case none = 0
  /// Minus `a`.
  case sub = 1
  /// Minus `b`.
  case up = 2
  /// Minus `floor((a + b) / 2)`.
  case average = 3
  /// Minus whichever of `a`, `b`, `c` is nearest to `a + b − c` (ties: a, then b).
  case paeth = 4

  /// The Paeth predictor of left `a`, above `b` and above-left `c`.
  @inline(__always) static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
    let p = Int(a) + Int(b) - Int(c)
    let pa = abs(p - Int(a))
    let pb = abs(p - Int(b))
    let pc = abs(p - Int(c))
    if pa <= pb && pa <= pc { return a }
    return pb <= pc ? b : c
  }

  /// Undoes the filters of `rows` rows in place. Each row is a filter-type byte and `rowBytes`
  /// bytes; the first row's "above" is zeros. `stride` is the byte distance to the left pixel.
  /// - Returns: the index of the first row with an invalid filter type, or `nil` when all are
  ///   valid (rows after an invalid one are left as they are).
  static func unfilter(
    _ data: UnsafeMutablePointer<UInt8>, rows: Int, rowBytes: Int, stride: Int
  ) -> (row: Int, type: UInt8)? {
    var previous: UnsafeMutablePointer<UInt8>? = nil
    for r in 0..<rows {
      let start = data + r * (rowBytes + 1)
      let type = start[0]
      let row = start + 1
      switch PNGFilter(rawValue: type) {
      case .none?: break
      case .sub?:
        if rowBytes > stride { for i in stride..<rowBytes { row[i] &+= row[i - stride] } }
      case .up?:
        if let up = previous { for i in 0..<rowBytes { row[i] &+= up[i] } }
      case .average?:
        if let up = previous {
          for i in 0..<min(stride, rowBytes) { row[i] &+= up[i] >> 1 }
          if rowBytes > stride {
            for i in stride..<rowBytes { row[i] &+= UInt8((Int(row[i - stride]) + Int(up[i])) >> 1) }
          }
        } else if rowBytes > stride {
          for i in stride..<rowBytes { row[i] &+= row[i - stride] >> 1 }
        }
      case .paeth?:
        if let up = previous {
          for i in 0..<min(stride, rowBytes) { row[i] &+= up[i] }  // a = c = 0: predicts b
          if rowBytes > stride {
            for i in stride..<rowBytes { row[i] &+= paeth(row[i - stride], up[i], up[i - stride]) }
          }
        } else if rowBytes > stride {
          for i in stride..<rowBytes { row[i] &+= row[i - stride] }  // b = c = 0: predicts a
        }
      case nil:
        return (r, type)
      }
      previous = row
    }
    return nil
  }

  /// Writes `row` filtered with `self` into `out` (`row.count` bytes); `above` is the previous
  /// unfiltered row, or `nil` for the first.
  func apply(
    _ row: UnsafePointer<UInt8>, above: UnsafePointer<UInt8>?, count: Int, stride: Int,
    into out: UnsafeMutablePointer<UInt8>
  ) {
    for i in 0..<count {
      let a = i >= stride ? row[i - stride] : 0
      let b = above?[i] ?? 0
      let c = i >= stride ? above?[i - stride] ?? 0 : 0
      let prediction: UInt8
      switch self {
      case .none: prediction = 0
      case .sub: prediction = a
      case .up: prediction = b
      case .average: prediction = UInt8((Int(a) + Int(b)) >> 1)
      case .paeth: prediction = PNGFilter.paeth(a, b, c)
      }
      out[i] = row[i] &- prediction
    }
  }

  /// The sum of the filtered bytes read as signed values' magnitudes: libpng's heuristic for
  /// choosing a row's filter (smaller sums compress better).
  static func cost(_ bytes: UnsafePointer<UInt8>, count: Int) -> Int {
    var sum = 0
    for i in 0..<count { sum += abs(Int(Int8(bitPattern: bytes[i]))) }
    return sum
  }
}
