import Foundation
import GenAITensor

/// The cleaning pipeline shared by the `AudioSet` loaders (see `AudioCleaning` for the steps).
extension AudioSet {
  /// What reading one file gave.
  private enum Decoded {
    case clip(ContentHash, WAVAudio)
    case failed(CleaningReport.Issue, String)
  }

  /// What cleaning one decoded clip gave.
  private enum Cleaned {
    case clip([Float], [CleaningReport.Entry])
    case skipped([CleaningReport.Entry])
  }

  /// Reads, decodes and cleans `items`, appending to `report` (whose entries come first).
  /// - Throws: `DataError` naming `root` when no clip survives.
  static func load(
    _ items: [AudioFileItem], classNames: [String], root: String, cleaning: AudioCleaning, report: CleaningReport
  ) throws(DataError) -> AudioSet {
    let n = items.count
    // 1. Read, fingerprint and decode every file, in parallel.
    var decoded = [Decoded](repeating: .failed(.corrupt, ""), count: n)
    decoded.withUnsafeMutableBufferPointer { out in
      parallelFor(n, grain: 1) { range in
        for i in range { out[i] = decode(items[i]) }
      }
    }
    // 2. In file order: failures, duplicates, empty clips, reader notes.
    var entries = [[CleaningReport.Entry]](repeating: [], count: n)
    var firstWithHash: [ContentHash: String] = [:]
    var survivors: [Int] = []
    var rateCounts: [Int: Int] = [:]
    var rateOrder: [Int] = []
    for i in 0..<n {
      let name = items[i].name
      switch decoded[i] {
      case .failed(let issue, let reason):
        entries[i].append(.init(file: name, issue: issue, reason: reason))
      case .clip(let hash, let audio):
        if cleaning.removeDuplicates, let first = firstWithHash[hash] {
          entries[i].append(.init(file: name, issue: .duplicate, reason: "same bytes as \(first)"))
          continue
        }
        firstWithHash[hash] = firstWithHash[hash] ?? name
        if audio.samples.isEmpty {
          entries[i].append(.init(file: name, issue: .empty, reason: "no samples"))
          continue
        }
        for note in audio.notes { entries[i].append(.init(file: name, issue: .modified, reason: note)) }
        survivors.append(i)
        if rateCounts[audio.sampleRate] == nil { rateOrder.append(audio.sampleRate) }
        rateCounts[audio.sampleRate, default: 0] += 1
      }
    }
    // 3. The target rate: as asked, else the most common (the first met on a tie).
    let mostCommon = rateOrder.reduce(into: rateOrder.first ?? 8000) { best, r in
      if (rateCounts[r] ?? 0) > (rateCounts[best] ?? 0) { best = r }
    }
    let target = cleaning.sampleRate ?? mostCommon
    var resamplers: [Int: Resampler] = [:]
    for r in rateOrder where r != target { resamplers[r] = Resampler(from: r, to: target) }
    // 4. Resample, drop silent clips, clip, trim and normalise, in parallel.
    var cleaned = [Cleaned](repeating: .skipped([]), count: survivors.count)
    cleaned.withUnsafeMutableBufferPointer { out in
      parallelFor(survivors.count, grain: 1) { range in
        for j in range {
          guard case .clip(_, let audio) = decoded[survivors[j]] else { continue }
          out[j] = clean(audio, name: items[survivors[j]].name, target: target, resampler: resamplers[audio.sampleRate], cleaning: cleaning)
        }
      }
    }
    // 5. Fit to one length, in file order.
    var clips: [[Float]] = []
    var labels: [Int] = []
    var files: [String] = []
    var sources: [Int] = []
    for (j, i) in survivors.enumerated() {
      switch cleaned[j] {
      case .skipped(let e):
        entries[i] += e
      case .clip(let clip, let e):
        entries[i] += e
        clips.append(clip)
        labels.append(items[i].label)
        files.append(items[i].name)
        sources.append(i)
      }
    }
    let length = cleaning.length ?? clips.map(\.count).max() ?? 0
    for (j, clip) in clips.enumerated() where clip.count > length {
      entries[sources[j]].append(.init(file: files[j], issue: .modified, reason: "cropped from \(clip.count) to \(length) samples"))
    }
    var full = report
    full.entries += entries.joined()
    full.kept = clips.count
    guard !clips.isEmpty else {
      throw DataError(file: root, "no usable clips among \(n) files\n\(full.table())")
    }
    // Clips are already within [-1, 1] (see `clean`).
    return AudioSet(
      samples: flatten(clips, length: length, clip: false), length: length, labels: labels, classNames: classNames,
      sampleRate: target, files: files, report: full)
  }

  /// Reads, fingerprints and decodes one file.
  private static func decode(_ item: AudioFileItem) -> Decoded {
    let bytes: Data
    do {
      bytes = try WAV.readBytes(item.url)
    } catch {
      return .failed(.corrupt, error.message)
    }
    if bytes.isEmpty { return .failed(.empty, "the file is 0 bytes") }
    let hash = bytes.withUnsafeBytes { ContentHash($0) }
    do {
      return .clip(hash, try WAV.decode(bytes, file: item.name))
    } catch {
      return .failed(.corrupt, error.message)
    }
  }

  /// Resamples, checks for silence, clips, trims and normalises one clip.
  private static func clean(
    _ audio: WAVAudio, name: String, target: Int, resampler: Resampler?, cleaning: AudioCleaning
  ) -> Cleaned {
    var entries: [CleaningReport.Entry] = []
    var x = audio.samples
    if let resampler {
      x = resampler.resample(x)
      entries.append(.init(file: name, issue: .modified, reason: "resampled from \(audio.sampleRate) Hz to \(target) Hz"))
    }
    let peak = AudioCleaning.peak(x)
    if peak < cleaning.silenceThreshold {
      let db = peak > 0 ? String(format: "%.1f dBFS", 20 * log10(Double(peak))) : "all zeros"
      entries.append(.init(file: name, issue: .silent, reason: "peak \(db), below the threshold \(cleaning.silenceThreshold)"))
      return .skipped(entries)
    }
    var isFloat = false
    if case .float = audio.encoding { isFloat = true }
    if peak > 1 || isFloat {
      // Float files (and resampling overshoot) can leave [-1, 1]; float files can hold NaN.
      var over = 0
      var nan = 0
      x = x.map { v in
        if v.isNaN {
          nan += 1
          return 0
        }
        if abs(v) > 1 { over += 1 }
        return min(max(v, -1), 1)
      }
      if over > 0 { entries.append(.init(file: name, issue: .modified, reason: "\(over) samples beyond ±1 clipped")) }
      if nan > 0 { entries.append(.init(file: name, issue: .modified, reason: "\(nan) NaN samples set to 0")) }
    }
    if let db = cleaning.trimSilenceDB {
      let kept = AudioCleaning.nonSilentRange(x, belowPeakDB: db)
      if kept.count < x.count {
        entries.append(.init(
          file: name, issue: .modified,
          reason: "trimmed \(kept.lowerBound) leading and \(x.count - kept.upperBound) trailing samples more than \(db) dB below the peak"))
        x = Array(x[kept])
      }
    }
    if let loudness = cleaning.loudness { x = AudioCleaning.normalised(x, to: loudness) }
    return .clip(x, entries)
  }
}
