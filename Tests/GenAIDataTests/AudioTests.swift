import Foundation
import GenAITestSupport
import Testing

@testable import GenAIData
import GenAITensor

/// Audio datasets: the real spoken-digit clips in ../shared/data, cleaning a folder with every
/// kind of bad file, loader errors, and `[B, 1, T]` batches with seeded augmentation.

// MARK: - Helpers

/// `count` samples of a `hz` tone at `rate`.
private func audioSetTone(_ hz: Double, rate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
  (0..<count).map { Float(amplitude * sin(2 * Double.pi * hz * Double($0) / Double(rate) + 0.5)) }
}

@Suite("Audio spoken digits (real data)")
struct AudioRealDataTests {
  @Test(.requiresSharedData(.spokenDigits))
  func readsRealClips() throws {
    let directory = try #require(SharedData.folder(.spokenDigits))
    for (name, digit) in [("0_us-m1_0.wav", 0), ("7_sc-m2_3.wav", 7), ("6_sc-m2_4.wav", 6), ("9_lc-f1_4.wav", 9)] {
      let audio = try WAV.read(directory.appendingPathComponent("wav/" + name))
      #expect(audio.sampleRate == 8000 && audio.samples.count == 8000 && audio.channels == 1, "\(name)")
      #expect(audio.encoding == .pcm(bits: 16) && audio.notes.isEmpty)
      #expect(AudioCleaning.peak(audio.samples) <= 0.941 && AudioCleaning.peak(audio.samples) > 0.05)
      #expect(name.hasPrefix("\(digit)_"))
    }
    // README: the quietest clip has RMS 0.0298; speech starts at sample 0 and ends in zeros.
    let quiet = try WAV.read(directory.appendingPathComponent("wav/6_sc-m2_4.wav")).samples
    #expect(abs(AudioCleaning.rms(quiet) - 0.0298) < 0.0006)
    #expect(quiet.suffix(100).allSatisfy { $0 == 0 })
  }

  @Test(.requiresSharedData(.spokenDigits))
  func loadsTheSpokenDigitSet() throws {
    let directory = try #require(SharedData.folder(.spokenDigits))
    let start = Date()
    let set = try AudioSet.spokenDigits(directory)
    let seconds = Date().timeIntervalSince(start)
    #expect(seconds < 10, "loading 1500 clips took \(seconds) s")  // about 0.7 s in a debug build
    #expect(set.count == 1500 && set.report.kept == 1500 && set.report.entries.isEmpty)
    #expect(set.sampleRate == 8000 && set.length == 8000 && set.classNames == (0...9).map(String.init))
    #expect((0..<10).allSatisfy { d in set.labels.filter { $0 == d }.count == 150 })
    // labels.csv order: voice, then digit, then take.
    #expect(set.files[0] == "wav/0_us-m1_0.wav" && Array(set.labels.prefix(12)) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
    for i in [0, 737, 1499] {
      let name = set.files[i]
      #expect(set.labels[i] == Int(String(name.dropFirst(4).prefix(1))))
      let direct = try WAV.read(directory.appendingPathComponent(name)).samples
      #expect(set.clip(i) == direct)
    }
    var rng = SeededGenerator(seed: 1)
    let batch = set.makeBatch(indices: [0, 5, 1499], generator: &rng)
    #expect(batch.inputs.shape == [3, 1, 8000])
    #expect(batch.labels?.values == [0, 1, 9])
    #expect(batch.inputs.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    let features = LogMelSpectrogram(sampleRate: 8000, nFFT: 256, hopLength: 80, nMels: 40)(batch.inputs)
    #expect(features.shape == [3, 101, 40] && features.scalars.allSatisfy(\.isFinite))
  }

  @Test(.requiresSharedData(.spokenDigits))
  func limitLoadsTheFirstRows() throws {
    // The parent folder: the loader finds spoken-digits/labels.csv under it.
    let parent = try #require(SharedData.directory(containing: .spokenDigits))
    let set = try AudioSet.spokenDigits(parent, limit: 20)
    #expect(set.count == 20 && set.labels == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3])
  }
}

@Suite("Audio dataset cleaning")
struct AudioCleaningTests {
  @Test func cleansAFolderAndLoadsTheGoodClips() throws {
    let root = try TemporaryFolder.make("audio-clean")
    defer { try? FileManager.default.removeItem(at: root) }
    let fm = FileManager.default
    for sub in ["yes", "no", "empty-class", ".hidden"] {
      try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    let good = audioSetTone(440, rate: 8000, count: 4000)
    let longer = audioSetTone(660, rate: 8000, count: 5000)
    try WAV.write(good, sampleRate: 8000, to: root.appendingPathComponent("yes/a-good.wav"))
    try fm.copyItem(at: root.appendingPathComponent("yes/a-good.wav"), to: root.appendingPathComponent("yes/b-copy.wav"))
    try WAV.write([Float](repeating: 1e-5, count: 4000), sampleRate: 8000, to: root.appendingPathComponent("yes/c-silent.wav"))
    try WAV.write(longer, sampleRate: 8000, to: root.appendingPathComponent("no/good.wav"))
    try WAV.write(audioSetTone(440, rate: 16000, count: 8000), sampleRate: 16000, to: root.appendingPathComponent("no/fast.wav"))
    try Data("this is not a wav file".utf8).write(to: root.appendingPathComponent("no/corrupt.wav"))
    try Data().write(to: root.appendingPathComponent("no/zero.WAV"))
    try Data("notes".utf8).write(to: root.appendingPathComponent("no/readme.txt"))
    try WAV.write(good, sampleRate: 8000, to: root.appendingPathComponent(".hidden/x.wav"))
    try WAV.write(good, sampleRate: 8000, to: root.appendingPathComponent("no/.x.wav"))

    let set = try AudioSet.folder(root)
    #expect(set.classNames == ["no", "yes"])
    #expect(set.files == ["no/fast.wav", "no/good.wav", "yes/a-good.wav"])
    #expect(set.labels == [0, 0, 1])
    #expect(set.sampleRate == 8000 && set.length == 5000)
    let report = set.report
    #expect(report.kept == 3)
    func reason(_ file: String, _ issue: CleaningReport.Issue) -> String? {
      report.entries.first { $0.file == file && $0.issue == issue }?.reason
    }
    #expect(reason("yes/b-copy.wav", .duplicate) == "same bytes as yes/a-good.wav")
    #expect(reason("yes/c-silent.wav", .silent)?.contains("below the threshold") == true)
    #expect(reason("no/corrupt.wav", .corrupt)?.contains("not a RIFF file") == true)
    #expect(reason("no/zero.WAV", .empty) != nil)
    #expect(reason("no/fast.wav", .modified) == "resampled from 16000 Hz to 8000 Hz")
    #expect(report.entries.count == 5)
    #expect(report.table().contains("duplicate: 1"))
    // The good clips load as written, padded with zeros to the longest.
    #expect(Array(set.clip(2).prefix(4000)) == good.map { Float(WAVEncoder.quantize($0)) / 32768 })
    #expect(set.clip(2).suffix(1000).allSatisfy { $0 == 0 })
    #expect(set.clip(1) == longer.map { Float(WAVEncoder.quantize($0)) / 32768 })
    let resampled = set.clip(0)
    let truth = audioSetTone(440, rate: 8000, count: 4000)
    #expect((100..<3900).allSatisfy { abs(resampled[$0] - truth[$0]) < 2e-3 })
  }

  @Test func trimsNormalisesAndCrops() throws {
    let root = try TemporaryFolder.make("audio-trim")
    defer { try? FileManager.default.removeItem(at: root) }
    let clip = [Float](repeating: 0, count: 1000) + [Float](repeating: 0.25, count: 2000) + [Float](repeating: 0.001, count: 500)
    try WAV.write(clip, sampleRate: 8000, to: root.appendingPathComponent("a.wav"))
    try WAV.write(audioSetTone(300, rate: 8000, count: 1200, amplitude: 0.2), sampleRate: 8000, to: root.appendingPathComponent("b.wav"))
    let cleaning = AudioCleaning(length: 1500, trimSilenceDB: 40, loudness: .peak(0.9))
    let set = try AudioSet.folder(root, cleaning: cleaning)
    #expect(set.classNames == [root.lastPathComponent] && set.labels == [0, 0])
    #expect(set.length == 1500)
    #expect(set.clip(0).allSatisfy { abs($0 - 0.9) < 1e-6 })
    #expect(abs(AudioCleaning.peak(set.clip(1)) - 0.9) < 1e-3)
    let reasons = set.report.entries(.modified).map { "\($0.file): \($0.reason)" }
    #expect(reasons.contains("a.wav: trimmed 1000 leading and 500 trailing samples more than 40.0 dB below the peak"))
    #expect(reasons.contains("a.wav: cropped from 2000 to 1500 samples"))
    #expect(set.report.entries.count == reasons.count)
    // RMS normalisation.
    let rms = AudioCleaning.normalised(audioSetTone(100, rate: 8000, count: 8000, amplitude: 0.01), to: .rms(0.1))
    #expect(abs(AudioCleaning.rms(rms) - 0.1) < 1e-4)
    #expect(AudioCleaning.nonSilentRange([0, 0, 0], belowPeakDB: 60) == 0..<0)
  }

  @Test func loaderErrorsNameTheFolderOrFile() throws {
    let root = try TemporaryFolder.make("audio-errors")
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(throws: DataError(file: root.appendingPathComponent("missing").path, "no such folder")) {
      try AudioSet.folder(root.appendingPathComponent("missing"))
    }
    do {
      _ = try AudioSet.folder(root)
      Issue.record("an empty folder loaded")
    } catch {
      #expect(error.file == root.path && error.message.contains("no .wav files"))
    }
    try Data("junk".utf8).write(to: root.appendingPathComponent("bad.wav"))
    try WAV.write([Float](repeating: 0, count: 100), sampleRate: 8000, to: root.appendingPathComponent("zeros.wav"))
    do {
      _ = try AudioSet.folder(root)
      Issue.record("a folder of bad files loaded")
    } catch {
      #expect(error.file == root.path && error.message.contains("no usable clips among 2 files"))
      #expect(error.message.contains("corrupt: 1") && error.message.contains("silent: 1"))
    }
    do {
      _ = try AudioSet.spokenDigits(root)
      Issue.record("spoken digits loaded without labels.csv")
    } catch {
      #expect(error.file.hasSuffix("labels.csv") && error.message.contains("no such file"))
    }
  }

  @Test func spokenDigitsReportsBadRows() throws {
    let root = try TemporaryFolder.make("audio-digits")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root.appendingPathComponent("wav"), withIntermediateDirectories: true)
    try WAV.write(audioSetTone(200, rate: 8000, count: 8000), sampleRate: 8000, to: root.appendingPathComponent("wav/3_x_0.wav"))
    try WAV.write(audioSetTone(300, rate: 8000, count: 6000), sampleRate: 8000, to: root.appendingPathComponent("wav/4_x_0.wav"))
    let csv = """
      file,digit,voice,speed,pitch
      3_x_0.wav,3,x,130,30
      4_x_0.wav,4,x,130,30
      5_x_0.wav,5,x,130,30
      6_x_0.wav,six,x,130,30
      7_x_0.wav,7,x

      """
    try Data(csv.utf8).write(to: root.appendingPathComponent("labels.csv"))
    let set = try AudioSet.spokenDigits(root)
    #expect(set.labels == [3, 4] && set.length == 8000 && set.clip(1).suffix(2000).allSatisfy { $0 == 0 })
    let entries = set.report.entries.map { "\($0.file) \($0.issue.rawValue) \($0.reason)" }
    #expect(entries == [
      "labels.csv line 5 corrupt digit \"six\" is not 0-9",
      "labels.csv line 6 corrupt expected 5 fields, got 3",
      "wav/5_x_0.wav corrupt no such file",
    ])
  }
}

@Suite("Audio batches and augmentation")
struct AudioBatchTests {
  private func makeSet() -> AudioSet {
    let clips = (0..<4).map { audioSetTone(200 + 100 * Double($0), rate: 8000, count: 1000, amplitude: 0.4) }
    return AudioSet(clips: clips, labels: [0, 1, 0, 1], classNames: ["a", "b"], sampleRate: 8000)
  }

  @Test func batchesAreShapedAndUnaugmentedByDefault() {
    let set = makeSet()
    var rng = SeededGenerator(seed: 3)
    let before = rng
    let batch = set.makeBatch(indices: [3, 0], generator: &rng)
    #expect(batch.inputs.shape == [2, 1, 1000] && batch.labels?.values == [1, 0])
    #expect(Array(batch.inputs.scalars.prefix(1000)) == set.clip(3))
    #expect(rng == before)  // no augmentation draws nothing
  }

  @Test func augmentationIsSeededAndBounded() {
    var set = makeSet()
    set.augmentation = AudioAugmentation(gainDB: -6...6, maxShift: 100, noise: .snr(20...30))
    var a = SeededGenerator(seed: 9)
    var b = SeededGenerator(seed: 9)
    let x = set.makeBatch(indices: [0, 1, 2, 3], generator: &a).inputs.scalars
    let y = set.makeBatch(indices: [0, 1, 2, 3], generator: &b).inputs.scalars
    #expect(x == y)
    #expect(x != set.samples)
    #expect(x.allSatisfy { $0 >= -1 && $0 <= 1 })
    let z = set.makeBatch(indices: [0, 1, 2, 3], generator: &a).inputs.scalars
    #expect(z != x)
  }

  @Test func gainShiftAndNoiseDoWhatTheySay() {
    let clip = audioSetTone(250, rate: 8000, count: 800, amplitude: 0.2)
    var rng = SeededGenerator(seed: 4)
    // Gain: every sample scaled by one factor within ±6 dB.
    var gained = clip
    gained.withUnsafeMutableBufferPointer { AudioAugmentation(gainDB: -6...6).apply(to: $0, generator: &rng) }
    let ratio = gained[10] / clip[10]
    #expect(ratio >= 0.5 && ratio <= 2.0)
    #expect(zip(gained, clip).allSatisfy { abs($0 - $1 * ratio) < 1e-6 })
    // Circular shift rotates; zero fill shifts in silence.
    let ramp = (0..<10).map { Float($0) / 10 }
    var rotated = ramp
    rotated.withUnsafeMutableBufferPointer { AudioAugmentation.shift($0, by: 3, fill: .circular) }
    #expect(rotated == [0.7, 0.8, 0.9, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    var filled = ramp
    filled.withUnsafeMutableBufferPointer { AudioAugmentation.shift($0, by: -3, fill: .zeros) }
    #expect(filled == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0])
    // Noise: the SNR drawn is met within sampling error; a fixed std is met too.
    var noisy = clip
    noisy.withUnsafeMutableBufferPointer { AudioAugmentation(noise: .snr(20...20)).apply(to: $0, generator: &rng) }
    let noise = zip(noisy, clip).map { $0 - $1 }
    let snr = 20 * log10(Double(AudioCleaning.rms(clip) / AudioCleaning.rms(noise)))
    #expect(abs(snr - 20) < 1)
    var fixed = [Float](repeating: 0, count: 4000)
    fixed.withUnsafeMutableBufferPointer { AudioAugmentation(noise: .std(0.05)).apply(to: $0, generator: &rng) }
    #expect(abs(AudioCleaning.rms(fixed) - 0.05) < 0.003)
  }
}
