import Foundation
import GenAITensor

/// Tiles a batch of images into one picture, e.g. samples from a generator, with a margin
/// between cells and optional integer upscaling (so 28x28 digits are big enough to see).
///
/// Layout: `columns` cells per row (default: the smallest `c` with `c * c >= N`), as many rows as
/// needed, image `i` in row `i / columns`, column `i % columns`. Each cell is `H·scale` x
/// `W·scale` pixels (nearest-neighbour: each pixel becomes a `scale` x `scale` block), and a
/// margin of `margin` pixels separates cells and surrounds the grid. Unused cells of the last
/// row are margin colour.
///
/// ```swift
/// try ImageGrid.write(samples, to: URL(fileURLWithPath: "samples.png"), range: .minusOneToOne, scale: 4)
/// ```
public enum ImageGrid {
  /// The grid of `images` as a bitmap.
  /// - Parameters:
  ///   - images: `[N, C, H, W]` with C 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); values in
  ///     `range` (others are clamped).
  ///   - range: the values' range; its bounds map to pixels 0 and 255.
  ///   - columns: cells per row; `nil` for a near-square grid.
  ///   - margin: pixels between cells and around the grid (after upscaling).
  ///   - marginColour: 1 sample (used for every channel) or C samples.
  ///   - scale: the upscaling factor, 1 or more.
  /// - Returns: a bitmap `[H', W', C]` with `W' = cols·W·scale + (cols + 1)·margin` and
  ///   `H' = rows·H·scale + (rows + 1)·margin`.
  /// - Precondition: N ≥ 1, C in 1...4, `columns ≥ 1`, `margin ≥ 0`, `scale ≥ 1`.
  public static func make(
    _ images: Tensor, range: PixelRange, columns: Int? = nil, margin: Int = 2, marginColour: [UInt8] = [255],
    scale: Int = 1
  ) -> Bitmap {
    precondition(images.rank == 4, "[ImageGrid] images must be [N, C, H, W], got \(images.shape)")
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    precondition(n >= 1 && h >= 1 && w >= 1, "[ImageGrid] needs at least one non-empty image, got \(images.shape)")
    precondition((1...4).contains(c), "[ImageGrid] channels must be 1...4, got \(c)")
    precondition(marginColour.count == 1 || marginColour.count == c, "[ImageGrid] marginColour needs 1 or \(c) samples")
    let cols = columns ?? Int(Double(n).squareRoot().rounded(.up))
    precondition(cols >= 1 && margin >= 0 && scale >= 1, "[ImageGrid] columns, scale must be >= 1, margin >= 0")
    let rows = (n + cols - 1) / cols
    let cellW = w * scale
    let cellH = h * scale
    var grid = Bitmap(
      width: cols * cellW + (cols + 1) * margin, height: rows * cellH + (rows + 1) * margin, channels: c,
      fill: marginColour)
    let gridWidth = grid.width
    images.withUnsafeBufferPointer { src in
      grid.pixels.withUnsafeMutableBufferPointer { dst in
        for i in 0..<n {
          let left = margin + (i % cols) * (cellW + margin)
          let top = margin + (i / cols) * (cellH + margin)
          for y in 0..<cellH {
            for x in 0..<cellW {
              let out = ((top + y) * gridWidth + left + x) * c
              for ch in 0..<c {
                dst[out + ch] = range.pixel(of: src[((i * c + ch) * h + y / scale) * w + x / scale])
              }
            }
          }
        }
      }
    }
    return grid
  }

  /// Writes the grid of `images` to `url` as a PNG (atomically); see `make` for the layout.
  /// - Parameter text: text entries to store in the file, e.g. what produced the samples.
  /// - Throws: `DataError` naming the file when it cannot be written.
  public static func write(
    _ images: Tensor, to url: URL, range: PixelRange, columns: Int? = nil, margin: Int = 2,
    marginColour: [UInt8] = [255], scale: Int = 1, text: [PNGText] = []
  ) throws(DataError) {
    let grid = make(images, range: range, columns: columns, margin: margin, marginColour: marginColour, scale: scale)
    try PNGEncoder.write(grid, to: url, text: text)
  }
}
