import Foundation
import GenAIData
import GenAINN
import GenAITraining

/// One reader under fuzzing: each case feeds arbitrary bytes to a reader's in-memory entry point
/// and checks what comes back.
///
/// A reader may accept or reject any input, but it must never trap, hang or claim unbounded
/// memory; libFuzzer (and AddressSanitizer) catch those. On top of that, `run` traps on its own
/// (so the fuzzer keeps the input) when an accepted result breaks an invariant of its type, or
/// when a rejection does not name the input, since every error a user sees must say which file
/// it is about.
enum FuzzTarget: String, CaseIterable, Sendable {
  /// `PNGDecoder.decode`: every colour type, bit depth and interlacing, chunks and CRCs.
  case png
  /// `WAV.decode`: RIFF/WAVE chunks, PCM and float encodings, `LIST/INFO` tags.
  case wav
  /// `IDX.parse`: raw and gzip'd IDX arrays (the MNIST family).
  case idx
  /// `Gzip.decompress` and `Zlib.decompress`, each output compressed again and compared.
  case gzip
  /// `SafeTensors.decode`: the length prefix, the JSON header and the tensor offsets.
  case safetensors
  /// `RunConfig.decode`: a run's `config.json`, decoded and validated.
  case config
  /// `TextCorpus.decodeUTF8`, then a character vocabulary built, encoded and decoded.
  case text

  /// The name the input goes by in errors; every rejection must mention it.
  static let inputName = "fuzz-input"

  /// The most bytes the gzip and zlib target lets a stream decode to: 16 MiB, far above what a
  /// fuzzer's small inputs can legitimately expand to, so only a bound that fails trips it.
  static let decompressionLimit = 1 << 24

  /// What a reader made of one input: accepted (with a one-line summary) or rejected (with the
  /// error as a user would see it).
  enum Outcome: Equatable, Sendable {
    /// The reader returned a value; the text summarises it.
    case accepted(String)
    /// The reader threw; the text is the error's description.
    case rejected(String)
  }

  /// Feeds `bytes` to the reader and checks the result.
  ///
  /// Traps (deliberately: this is what the fuzzer reports as a crash) when an accepted value is
  /// inconsistent or an error does not name the input.
  func run(_ bytes: [UInt8]) -> Outcome {
    let name = Self.inputName
    switch self {
    case .png:
      // A mutated chunk almost never keeps a valid CRC, so the decoder would reject nearly every
      // input at the first chunk: the same bytes go in again with their CRCs made right, to reach
      // the header, palette, filter and interlacing code behind the check.
      let repaired = Self.withValidChunkCRCs(bytes)
      if repaired != bytes { _ = Self.png.run(repaired) }
      do {
        let image = try PNGDecoder.decode(bytes, file: name)
        let b = image.bitmap
        check((1...4).contains(b.channels), "PNG decoded to \(b.channels) channels")
        check(b.width == image.header.width && b.height == image.header.height, "PNG bitmap size differs from IHDR")
        check(b.pixels.count == b.width * b.height * b.channels, "PNG pixel count differs from its shape")
        return .accepted("PNG \(b.width)x\(b.height)x\(b.channels)")
      } catch {
        return rejected(error, naming: error.file == name)
      }
    case .wav:
      do {
        let audio = try WAV.decode(bytes, file: name)
        check(
          audio.sampleRate > 0 && audio.channels > 0, "WAV with rate \(audio.sampleRate), \(audio.channels) channels")
        if case .pcm = audio.encoding {
          check(audio.samples.allSatisfy { $0 >= -1 && $0 <= 1 }, "integer PCM decoded outside [-1, 1]")
        }
        return .accepted("WAV \(audio.samples.count) frames at \(audio.sampleRate) Hz, \(audio.encoding)")
      } catch {
        return rejected(error, naming: error.file == name)
      }
    case .idx:
      do {
        let array = try IDX.parse(bytes, file: name)
        let count = array.shape.reduce(1, *)
        check(array.bytes.count == count * array.type.byteWidth, "IDX payload differs from its shape")
        check(array.floats().count == count, "IDX floats() count differs from its shape")
        return .accepted("IDX \(array.shape) of \(array.type)")
      } catch {
        return rejected(error, naming: error.file == name)
      }
    case .gzip:
      // Both wrappers see every input: a gzip file's bytes are corrupt zlib and vice versa, and
      // rejecting the wrong one quickly is part of what is tested.
      var summary: [String] = []
      for (format, decompress, compress) in [
        ("gzip", Gzip.decompress, Gzip.compress), ("zlib", Zlib.decompress, Zlib.compress),
      ] as [(String, ([UInt8], Int?) throws(CompressionError) -> [UInt8], ([UInt8], Zlib.Level) -> [UInt8])] {
        do {
          let output = try decompress(bytes, Self.decompressionLimit)
          check(output.count <= Self.decompressionLimit, "\(format) output passed its limit")
          let again = try? decompress(compress(output, .fast), nil)
          check(again == output, "\(format) output does not survive compressing and decompressing again")
          summary.append("\(format) decoded \(output.count) bytes")
        } catch {
          summary.append("\(format) rejected: \(error)")
        }
      }
      return .accepted(summary.joined(separator: "; "))
    case .safetensors:
      do {
        let contents = try SafeTensors.decode(Data(bytes), file: name)
        check(Set(contents.tensors.keys) == Set(contents.dtypes.keys), "safetensors names differ from their dtypes")
        return .accepted("safetensors: \(contents.tensors.count) tensors, \(contents.metadata.count) metadata")
      } catch {
        return rejected(error, naming: (error as? SafeTensorsError)?.file == name)
      }
    case .config:
      do {
        let config = try RunConfig.decode(Data(bytes), source: name)
        // What was accepted must survive a save and reload: a run folder is reopened from it.
        let reloaded = try? RunConfig.decode(config.encoded(), source: name)
        check(reloaded == config, "an accepted config does not survive encoding and decoding again")
        return .accepted("config: \(config.recipe) for \(config.steps) steps")
      } catch {
        return rejected(error, naming: "\(error)".contains(name))
      }
    case .text:
      do {
        let text = try TextCorpus.decodeUTF8(bytes, source: name)
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        check(Array(text.utf8) == body, "decoded text differs from its UTF-8 bytes")
        let vocabulary = Vocabulary.characters(in: text)
        let ids = try vocabulary.encode(text, source: name)
        check(vocabulary.decode(ids) == text, "text does not survive its own vocabulary")
        return .accepted("text: \(ids.count) characters, \(vocabulary.size) symbols")
      } catch {
        check(String(validating: bytes, as: UTF8.self) == nil, "valid UTF-8 was rejected: \(error)")
        return rejected(error, naming: error.file == name)
      }
    }
  }

  /// `bytes` with the CRC of each whole PNG chunk (after the 8-byte signature) recomputed.
  static func withValidChunkCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    var offset = 8
    while offset + 12 <= out.count {
      let length = out[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
      let end = offset + 8 + length  // where the CRC starts
      guard end + 4 <= out.count else { break }
      let crc = CRC32.checksum(out[(offset + 4)..<end])
      for k in 0..<4 { out[end + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k)) }
      offset = end + 4
    }
    return out
  }

  /// The outcome for a thrown `error`, trapping when it does not name the input.
  private func rejected(_ error: any Error, naming namesInput: Bool) -> Outcome {
    check(namesInput, "the \(rawValue) reader's error does not name the input: \(error)")
    return .rejected("\(error)")
  }

  /// Traps with `message` when `condition` fails: a finding, for the fuzzer to keep.
  private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("[fuzz \(rawValue)] \(message())") }
  }
}
