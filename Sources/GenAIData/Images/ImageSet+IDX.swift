import Foundation

extension ImageSet {
  /// Loads an MNIST-style pair of IDX files (raw or gzip): images `[N, H, W]` of unsigned bytes
  /// and, optionally, labels `[N]` of any integer type.
  ///
  /// - Parameters:
  ///   - images: e.g. `t10k-images-idx3-ubyte.gz` (magic `0x00000803`).
  ///   - labels: e.g. `t10k-labels-idx1-ubyte.gz` (magic `0x00000801`), or `nil`.
  ///   - classNames: the name of each label, if known (e.g. Fashion-MNIST's "T-shirt/top", ...).
  ///   - range: the range `makeBatch` maps pixels to.
  /// - Returns: a grey set, C = 1.
  /// - Throws: `DataError` naming the file: any IDX error (see `IDX.read`), an empty image file,
  ///   a label count that differs from the image count, or a label outside `0..<classNames.count`.
  public static func idx(
    images: URL, labels: URL? = nil, classNames: [String] = [], range: PixelRange = .minusOneToOne
  ) throws(DataError) -> ImageSet {
    let imageArray = try IDX.read(images, expecting: (.uint8, rank: 3))
    let (n, h, w) = (imageArray.shape[0], imageArray.shape[1], imageArray.shape[2])
    guard n > 0, h > 0, w > 0 else {
      throw DataError(file: images.path, "holds no images (shape \(imageArray.shape))")
    }
    var labelValues: [Int]?
    if let labels {
      let labelArray = try IDX.read(labels)
      guard labelArray.shape.count == 1, let values = labelArray.integers() else {
        throw DataError(
          file: labels.path,
          "labels must be one axis of integers, found shape \(labelArray.shape) of \(labelArray.type)")
      }
      guard values.count == n else {
        throw DataError(
          file: labels.path, "holds \(values.count) labels, but \(images.lastPathComponent) holds \(n) images")
      }
      if let bad = values.firstIndex(where: { $0 < 0 || (!classNames.isEmpty && $0 >= classNames.count) }) {
        let allowed = classNames.isEmpty ? ">= 0" : "in 0..<\(classNames.count)"
        throw DataError(file: labels.path, "label \(values[bad]) at index \(bad) is not \(allowed)")
      }
      labelValues = values
    }
    return ImageSet(
      pixels: imageArray.bytes, count: n, channels: 1, height: h, width: w, labels: labelValues,
      classNames: classNames, range: range)
  }
}
