import Foundation
import GenAITestSupport
import Testing

@testable import GenAIData
import GenAITensor

/// The inverse STFT and Griffin–Lim phase reconstruction.

/// A voiced-speech-like test signal: a gliding harmonic tone (fundamental 150 → 250 Hz, five
/// harmonics with falling amplitudes) under a slow envelope, plus a little deterministic noise.
private func griffinLimTestSignal(_ n: Int, rate: Double = 8000) -> [Float] {
  var phase = 0.0
  return (0..<n).map { i in
    let t = Double(i) / rate
    let f0 = 150 + 100 * t / (Double(n) / rate)
    phase += 2 * Double.pi * f0 / rate
    var v = 0.0
    for h in 1...5 { v += sin(Double(h) * phase) / Double(h) }
    let envelope = sin(Double.pi * Double(i) / Double(n))
    let noise = 0.02 * (Double((i * 7919) % 101) / 50 - 1)
    return Float(0.3 * envelope * v + noise)
  }
}

/// The first spoken digit of ../shared/data, or `nil` when the data is absent.
private func griffinLimDigitClip() -> [Float]? {
  guard let dir = SharedData.folder(.spokenDigits),
    let set = try? AudioSet.spokenDigits(dir, limit: 1), set.count == 1
  else { return nil }
  return set.clip(0)
}

@Suite("Inverse STFT and Griffin–Lim")
struct AudioGriffinLimTests {
  @Test(arguments: [(256, 64), (256, 128), (400, 100), (255, 60)])
  func inverseOfForwardIsTheSignal(nFFT: Int, hop: Int) {
    let x = griffinLimTestSignal(3001)
    let stft = STFT(nFFT: nFFT, hopLength: hop)
    let (re, im) = stft.complex(x)
    let back = InverseSTFT(stft).signal(real: re, imag: im, length: x.count)
    #expect(back.count == x.count)
    let err = zip(back, x).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(err < 1e-5, "max |ISTFT(STFT(x)) − x| = \(err)")
  }

  @Test func defaultLengthIsHopTimesFramesMinusOne() {
    let stft = STFT(nFFT: 256, hopLength: 64)
    let (re, im) = stft.complex(griffinLimTestSignal(8000))
    #expect(re.count == 126 * 129)
    #expect(InverseSTFT(stft).signal(real: re, imag: im).count == 64 * 125)
    // Zeros pad a longer request.
    // 126 frames cover 64 · 125 + 128 = 8128 samples; zeros pad a longer request.
    let long = InverseSTFT(stft).signal(real: re, imag: im, length: 8200)
    #expect(long.count == 8200 && long[8127] != 0 && long[8128] == 0)
  }

  @Test func griffinLimRecoversAConsistentPhase() {
    let clip = griffinLimDigitClip() ?? griffinLimTestSignal(8000)
    let stft = STFT(nFFT: 256, hopLength: 64)
    let magnitude = stft.spectrogram(clip, power: 1)
    var g = SeededGenerator(seed: 1)
    let random = GriffinLim(stft: stft, iterations: 0).signal(magnitude, length: clip.count, using: &g)
    let rebuilt = GriffinLim(stft: stft, iterations: 32).signal(magnitude, length: clip.count, using: &g)
    let scRandom = GriffinLim.spectralConvergence(random, magnitude: magnitude, stft: stft)
    let scRebuilt = GriffinLim.spectralConvergence(rebuilt, magnitude: magnitude, stft: stft)
    #expect(GriffinLim.spectralConvergence(clip, magnitude: magnitude, stft: stft) < 1e-6)
    #expect(scRandom > 0.3, "random phase: \(scRandom)")
    #expect(scRebuilt < 0.4 * scRandom, "Griffin–Lim \(scRebuilt) vs random phase \(scRandom)")
  }

  @Test func griffinLimIsSeededAndZeroPhaseIsDeterministic() {
    let stft = STFT(nFFT: 128, hopLength: 32)
    let magnitude = stft.spectrogram(griffinLimTestSignal(1000), power: 1)
    var a = SeededGenerator(seed: 7)
    var b = SeededGenerator(seed: 7)
    let gl = GriffinLim(stft: stft, iterations: 4)
    #expect(gl.signal(magnitude, length: 1000, using: &a) == gl.signal(magnitude, length: 1000, using: &b))
    var c = SeededGenerator(seed: 8)
    let zero = GriffinLim(stft: stft, iterations: 4, randomInit: false)
    #expect(zero.signal(magnitude, length: 1000, using: &a) == zero.signal(magnitude, length: 1000, using: &c))
  }
}
