import Foundation

extension ImageSet {
  /// How a folder's images are brought to one channel count.
  public enum ChannelPolicy: Sendable, Hashable {
    /// Grey (1) if every image is grey, else RGB (3); alpha is dropped (composited over black).
    case auto
    /// Grey (1), colour by BT.601 luma; alpha composited over black.
    case grey
    /// RGB (3); alpha composited over black.
    case rgb
    /// RGBA (4); opaque images get alpha 255.
    case rgba
  }

  /// How a folder's images are brought to one size.
  public enum SizePolicy: Sendable, Hashable {
    /// Keep the images of the most common size; skip the others as wrong-sized.
    case mostCommon
    /// Keep images of exactly this size; skip the others as wrong-sized.
    case exactly(width: Int, height: Int)
    /// Resize every image to this size (bilinear; box-averaged first when shrinking > 2x).
    case resized(width: Int, height: Int)
  }

  /// Loads the PNG files of a folder.
  ///
  /// With sub-folders, each sub-folder is a class: labels are the indices of the sub-folder names
  /// sorted, and PNG files anywhere below a sub-folder belong to it (files directly in `url` are
  /// then ignored). Without sub-folders, the folder's PNG files form an unlabelled set. Hidden
  /// files and files not ending in `.png` are ignored; files are read in sorted path order.
  ///
  /// Bad files are skipped into `report`, not fatal: undecodable ones (`.corrupt`, with the
  /// decoder's reason), duplicates of an earlier image by content (`.duplicate`: a content hash
  /// of the decoded pixels, confirmed by comparing them) and, unless resizing, images of another
  /// size (`.wrongSize`).
  /// - Parameters:
  ///   - url: the folder.
  ///   - channels: the channel policy.
  ///   - size: the size policy.
  ///   - range: the range `makeBatch` maps pixels to.
  ///   - deduplicate: skip duplicates (training data); `false` keeps them, as scoring a
  ///     generator's samples must (repeated images are what mode collapse looks like).
  /// - Throws: `DataError` naming the folder when it does not exist, holds no PNG files, or
  ///   every file was skipped (the message includes the cleaning table).
  public static func folder(
    _ url: URL, channels: ChannelPolicy = .auto, size: SizePolicy = .mostCommon, range: PixelRange = .minusOneToOne,
    deduplicate: Bool = true
  ) throws(DataError) -> ImageSet {
    let (files, classNames) = try listPNGFiles(url)
    var report = CleaningReport()
    var decoded: [(file: String, label: Int, bitmap: Bitmap)] = []
    var seen: [ContentHash: [Int]] = [:]  // content hash -> indices into `decoded`
    for (file, label) in files {
      let bitmap: Bitmap
      do {
        bitmap = try PNGDecoder.read(url.appendingPathComponent(file)).bitmap
      } catch {
        report.record(file, .corrupt, error.message)
        continue
      }
      let hash = contentHash(bitmap)
      if deduplicate, let twin = seen[hash, default: []].first(where: { decoded[$0].bitmap == bitmap }) {
        report.record(file, .duplicate, "same pixels as \(decoded[twin].file)")
        continue
      }
      seen[hash, default: []].append(decoded.count)
      decoded.append((file, label, bitmap))
    }

    let target: (width: Int, height: Int)
    switch size {
    case .mostCommon: target = mostCommonSize(decoded.map(\.bitmap))
    case .exactly(let w, let h), .resized(let w, let h):
      precondition(w > 0 && h > 0, "[ImageSet.folder] size must be positive")
      target = (w, h)
    }
    let outChannels: Int
    switch channels {
    case .auto: outChannels = decoded.allSatisfy(\.bitmap.isGrey) ? 1 : 3
    case .grey: outChannels = 1
    case .rgb: outChannels = 3
    case .rgba: outChannels = 4
    }

    var pixels: [UInt8] = []
    var labels: [Int] = []
    let plane = target.width * target.height
    for item in decoded {
      var bitmap = item.bitmap
      if bitmap.width != target.width || bitmap.height != target.height {
        guard case .resized = size else {
          report.record(
            item.file, .wrongSize,
            "\(bitmap.width)x\(bitmap.height), expected \(target.width)x\(target.height)")
          continue
        }
        bitmap = bitmap.resized(width: target.width, height: target.height)
      }
      bitmap = bitmap.converted(toChannels: outChannels)
      // [H, W, C] -> [C, H, W]
      for c in 0..<outChannels {
        for p in 0..<plane { pixels.append(bitmap.pixels[p * outChannels + c]) }
      }
      labels.append(item.label)
    }
    report.kept = labels.count
    guard !labels.isEmpty else {
      throw DataError(
        file: url.path, "no usable images: all \(files.count) PNG files were skipped\n\(report.table())")
    }
    return ImageSet(
      pixels: pixels, count: labels.count, channels: outChannels, height: target.height, width: target.width,
      labels: classNames.isEmpty ? nil : labels, classNames: classNames, range: range, report: report)
  }

  /// The PNG files to load (paths relative to `url`, sorted) with their labels, and the class
  /// names (sorted sub-folder names; empty for an unlabelled folder).
  private static func listPNGFiles(_ url: URL) throws(DataError) -> ([(String, Int)], [String]) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw DataError(file: url.path, "image folder does not exist")
    }
    guard isDirectory.boolValue else { throw DataError(file: url.path, "is a file, expected a folder of PNG images") }
    let entries: [URL]
    do {
      entries = try FileManager.default.contentsOfDirectory(
        at: url, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
    } catch {
      throw DataError(file: url.path, "cannot list the folder (\(error.localizedDescription))")
    }
    let folders = entries.filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
      .map(\.lastPathComponent).sorted()
    var files: [(String, Int)] = []
    if folders.isEmpty {
      files = entries.map(\.lastPathComponent).filter(isPNGName).sorted().map { ($0, 0) }
    } else {
      for (label, folder) in folders.enumerated() {
        // Paths relative to the class folder, hidden files and folders left out.
        let subpaths =
          (try? FileManager.default.subpathsOfDirectory(atPath: url.appendingPathComponent(folder).path)) ?? []
        let names = subpaths.filter { path in
          isPNGName((path as NSString).lastPathComponent)
            && !path.split(separator: "/").contains { $0.hasPrefix(".") }
        }.map { folder + "/" + $0 }
        files += names.sorted().map { ($0, label) }
      }
    }
    guard !files.isEmpty else {
      let what = entries.isEmpty ? "the folder is empty" : "it holds no .png files (\(entries.count) other entries)"
      throw DataError(
        file: url.path, "no PNG images found: \(what); expected *.png files, or sub-folders of them named by class")
    }
    return (files, folders)
  }

  /// Whether `name` is a visible file name ending in `.png` (any case).
  private static func isPNGName(_ name: String) -> Bool {
    !name.hasPrefix(".") && name.lowercased().hasSuffix(".png")
  }

  /// A hash of a bitmap's pixels; equal pixels are confirmed before anything is dropped, and
  /// `Bitmap ==` also compares size and channels.
  static func contentHash(_ bitmap: Bitmap) -> ContentHash {
    bitmap.pixels.withUnsafeBytes { ContentHash($0) }
  }

  /// The most common (width, height), ties broken by first appearance; (1, 1) for no images.
  private static func mostCommonSize(_ bitmaps: [Bitmap]) -> (width: Int, height: Int) {
    var counts: [Int: Int] = [:]
    var order: [(Int, Int)] = []
    for b in bitmaps {
      let key = b.width << 32 | b.height
      if counts[key] == nil { order.append((b.width, b.height)) }
      counts[key, default: 0] += 1
    }
    var best = (1, 1)
    var bestCount = 0
    for size in order where counts[size.0 << 32 | size.1, default: 0] > bestCount {
      best = size
      bestCount = counts[size.0 << 32 | size.1, default: 0]
    }
    return best
  }
}
