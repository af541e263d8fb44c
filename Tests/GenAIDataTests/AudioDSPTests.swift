import Foundation
import Testing

@testable import GenAIData
import GenAITensor

/// Signal processing for audio: resampling, mu-law, the FFT, STFT, mel filterbanks and log-mel
/// spectrograms. Reference numbers come from `Scripts/gen_audio_fixtures.py` (torch.stft, and
/// librosa's and torchaudio's formulas in numpy/torch), embedded as literals.

// MARK: - Helpers

/// A sine of `hz` at `rate`, `count` samples.
private func audioDSPSine(_ hz: Double, rate: Int, count: Int, amplitude: Double = 0.5, phase: Double = 0) -> [Float] {
  (0..<count).map { Float(amplitude * sin(2 * Double.pi * hz * Double($0) / Double(rate) + phase)) }
}

/// The bin with the most energy in the magnitude spectrum of `x` (Hann-windowed, zero-padded).
private func audioDSPPeakHz(_ x: [Float], rate: Int, size: Int = 8192) -> Double {
  let stft = STFT(nFFT: size, windowLength: min(size, x.count), center: false)
  var frame = [Float](repeating: 0, count: size)
  for i in 0..<min(size, x.count) { frame[i] = x[i] }
  let power = stft.spectrogram(frame, power: 2).scalars
  let bin = power.indices.max { power[$0] < power[$1] } ?? 0
  return Double(bin) * Double(rate) / Double(size)
}

/// The fixture signal of gen_audio_fixtures.py.
private func audioDSPFixtureSignal(_ n: Int) -> [Float] {
  (0..<n).map { i in
    let t = Double(i)
    let a = 0.5 * sin(2 * Double.pi * 440 * t / 8000)
    let b = 0.25 * sin(2 * Double.pi * 1234.5 * t / 8000 + 0.3)
    let c = 0.1 * (Double((i * 7919) % 101) / 50 - 1)
    return Float(a + b + c)
  }
}

@Suite("Audio resampling")
struct AudioResampleTests {
  @Test func lengthIsExact() {
    for (n, from, to) in [(8000, 8000, 16000), (8000, 16000, 8000), (1001, 44100, 8000), (7, 3, 2), (5, 2, 3), (0, 8000, 16000), (1, 48000, 8000)] {
      let y = Resampler.resample([Float](repeating: 0.1, count: n), from: from, to: to)
      let expected = Int((Double(n) * Double(to) / Double(from)).rounded())
      #expect(y.count == expected, "\(n) \(from)→\(to)")
    }
  }

  @Test func sineSurvivesUpAndDownWithItsFrequency() {
    let x = audioDSPSine(440, rate: 8000, count: 8000)
    let up = Resampler.resample(x, from: 8000, to: 16000)
    let back = Resampler.resample(up, from: 16000, to: 8000)
    #expect(up.count == 16000 && back.count == 8000)
    // Away from the edges (where the signal was cut off) the sine comes back nearly unchanged,
    // and the upsampled signal matches the sine evaluated at 16 kHz.
    let truth16 = audioDSPSine(440, rate: 16000, count: 16000)
    let upError = (200..<15800).map { abs(up[$0] - truth16[$0]) }.max() ?? 1
    let backError = (100..<7900).map { abs(back[$0] - x[$0]) }.max() ?? 1
    #expect(upError < 1e-3, "max error 8k→16k \(upError)")
    #expect(backError < 1e-3, "max error 8k→16k→8k \(backError)")
    #expect(abs(audioDSPPeakHz(up, rate: 16000) - 440) < 2)
    #expect(abs(audioDSPPeakHz(back, rate: 8000) - 440) < 2)
  }

  @Test func downsamplingRemovesWhatWouldAlias() {
    // 3 kHz is fine at 8 kHz; 5.5 kHz is above the new Nyquist (4 kHz) and must not fold to 2.5 kHz.
    let keep = audioDSPSine(1000, rate: 16000, count: 16000)
    let alias = audioDSPSine(5500, rate: 16000, count: 16000)
    let y = Resampler.resample(zip(keep, alias).map { $0 + $1 }, from: 16000, to: 8000)
    let rms = { (v: ArraySlice<Float>) in (v.reduce(0) { $0 + $1 * $1 } / Float(v.count)).squareRoot() }
    let residual = (200..<7800).map { y[$0] - Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 8000)) }
    #expect(rms(residual[...]) < 2e-3, "aliased energy left: \(rms(residual[...]))")
    #expect(abs(audioDSPPeakHz(y, rate: 8000) - 1000) < 2)
    // The passband is flat to 3.4 kHz; from 4.1 kHz on, input is attenuated by over 80 dB.
    let rmsAfter = { (hz: Double) -> Float in
      let z = Resampler.resample(audioDSPSine(hz, rate: 16000, count: 8000), from: 16000, to: 8000)
      return rms(z[500..<3500]) / Float(0.5 / 2.0.squareRoot())
    }
    #expect(abs(rmsAfter(3400) - 1) < 1e-3)
    #expect(rmsAfter(4100) < 1e-4 && rmsAfter(6000) < 1e-4)
  }

  @Test func constantStaysConstantAndOddRatiosWork() {
    let y = Resampler.resample([Float](repeating: 0.3, count: 2000), from: 44100, to: 8000)
    #expect((40..<(y.count - 40)).allSatisfy { abs(y[$0] - 0.3) < 1e-5 })
    // A ratio with thousands of phases takes the untabled path and agrees with it.
    let x = audioDSPSine(300, rate: 8001, count: 800)
    let z = Resampler.resample(x, from: 8001, to: 8000)
    let truth = audioDSPSine(300, rate: 8000, count: z.count)
    #expect((100..<(z.count - 100)).allSatisfy { abs(z[$0] - truth[$0]) < 1e-3 })
  }
}

@Suite("Audio mu-law")
struct AudioMuLawTests {
  @Test func matchesTorchaudioCodes() {
    // torchaudio mu_law_encoding (quantization_channels=256), gen_audio_fixtures.py
    let x: [Float] = [-1, -0.5, -0.1, -0.01, 0, 0.001, 0.01, 0.1, 0.5, 0.9, 1]
    #expect(MuLaw.encode(x) == [0, 16, 52, 98, 128, 133, 157, 203, 239, 253, 255])
    let decoded = MuLaw.decode([0, 1, 64, 127, 128, 129, 200, 255])
    let torch: [Float] = [-1.0, -0.9572739601135254, -0.05814499035477638, -8.621169399702922e-05, 8.621309098089114e-05, 0.00026436365442350507, 0.08788024634122849, 1.0]
    for (a, b) in zip(decoded, torch) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)) + 1e-9) }
    #expect(MuLaw.encode(2) == 255 && MuLaw.encode(-7) == 0 && MuLaw.encode(.nan) == 128)
  }

  @Test func roundTripErrorIsWithinHalfAStep() {
    // Half a code step through the expansion: (1 + μ|x|)(e^{ln(256)/255} − 1)/255 ≈ 8.63e-5 (1 + 255|x|).
    let step = (exp(log(256.0) / 255) - 1) / 255
    for i in 0...4000 {
      let x = Float(i) / 2000 - 1
      let error = Double(abs(MuLaw.decode(MuLaw.encode(x)) - x))
      #expect(error <= step * (1 + 255 * Double(abs(x))) * 1.0001 + 1e-7, "x = \(x): error \(error)")
    }
  }

  @Test func tensorFormsKeepTheShape() throws {
    let t = try Tensor(shape: [2, 1, 3], [-1, 0, 1, 0.5, -0.5, 0.01])
    let codes = MuLaw.encode(t)
    #expect(codes.shape == [2, 1, 3])
    #expect(codes.values == [0, 128, 255, 239, 16, 157])
    let back = MuLaw.decode(codes)
    #expect(back.shape == [2, 1, 3])
    #expect(zip(back.scalars, t.scalars).allSatisfy { abs($0 - $1) < 0.03 })
  }
}

@Suite("Audio FFT and spectrograms")
struct AudioSpectrogramTests {
  /// Naive DFT of a real signal in Double.
  private func naiveDFT(_ x: [Double]) -> (re: [Double], im: [Double]) {
    let n = x.count
    var re = [Double](repeating: 0, count: n)
    var im = re
    for k in 0..<n {
      for j in 0..<n {
        let angle = -2 * Double.pi * Double((j * k) % n) / Double(n)
        re[k] += x[j] * cos(angle)
        im[k] += x[j] * sin(angle)
      }
    }
    return (re, im)
  }

  @Test(arguments: [1, 2, 4, 8, 64, 256, 3, 5, 12, 100, 400])
  func fftMatchesANaiveDFT(size: Int) {
    var rng = SeededGenerator(seed: UInt64(size))
    let x = (0..<size).map { _ in Double(rng.nextUniform()) * 2 - 1 }
    let truth = naiveDFT(x)
    var re = x
    var im = (0..<size).map { _ in 0.0 }
    FFT(size: size).transform(real: &re, imag: &im)
    let scale = Double(size).squareRoot()
    for k in 0..<size {
      #expect(abs(re[k] - truth.re[k]) < 1e-9 * scale && abs(im[k] - truth.im[k]) < 1e-9 * scale, "size \(size) bin \(k)")
    }
    // The real transform gives the first half, the inverse undoes the transform.
    let real = FFT(size: size).realForward(x.map { Float($0) })
    for k in 0...(size / 2) {
      #expect(abs(real.real[k] - truth.re[k]) < 1e-5 * scale && abs(real.imag[k] - truth.im[k]) < 1e-5 * scale, "size \(size) real bin \(k)")
    }
    FFT(size: size).transform(real: &re, imag: &im, inverse: true)
    #expect(zip(re, x).allSatisfy { abs($0 - $1) < 1e-12 * scale } && im.allSatisfy { abs($0) < 1e-12 * scale })
  }

  @Test func frameCountsWithAndWithoutCentering() {
    let centred = STFT(nFFT: 256, hopLength: 64)
    #expect(centred.frameCount(for: 8000) == 126)
    #expect(centred.frameCount(for: 1000) == 16)
    #expect(centred.frameCount(for: 10) == 1)
    #expect(centred.spectrogram([Float](repeating: 0.1, count: 10)).shape == [1, 129])
    let plain = STFT(nFFT: 256, hopLength: 64, center: false)
    #expect(plain.frameCount(for: 8000) == 122)
    #expect(plain.frameCount(for: 255) == 0)
    #expect(plain.spectrogram([Float](repeating: 0, count: 100)).shape == [0, 129])
    #expect(STFT(nFFT: 400).hopLength == 100)
    #expect(STFT.reflect(-1, count: 4) == 1 && STFT.reflect(4, count: 4) == 2 && STFT.reflect(-7, count: 4) == 1)
  }

  @Test func powerSpectrogramMatchesTorchSTFT() {
    let x = audioDSPFixtureSignal(1000)
    let cases: [(STFT, [(Int, Int)], [Double], Double)] = [
      (STFT(nFFT: 256, hopLength: 64),
       [(0, 0), (0, 14), (3, 14), (3, 40), (7, 40), (8, 20), (15, 128), (10, 100)],
       [10.475386888987872, 11.380233807983272, 1006.963039898807, 182.0175903687785, 186.166150239431, 0.015732696473073148, 0.20924074100025686, 0.005747512278848036],
       31408.19650036029),
      (STFT(nFFT: 400, hopLength: 100, windowLength: 300),
       [(0, 0), (0, 22), (4, 22), (5, 62), (10, 200), (6, 150)],
       [10.366500159478788, 0.9457603979164027, 1401.3084135705706, 344.7932195763804, 0.37670545051169013, 1.222140633184242],
       39598.59883074566),
    ]
    for (stft, points, values, total) in cases {
      let p = stft.spectrogram(x, power: 2)
      #expect(p.shape == [stft.frameCount(for: 1000), stft.binCount])
      let s = p.scalars
      for ((f, k), v) in zip(points, values) {
        let got = Double(s[f * stft.binCount + k])
        #expect(abs(got - v) <= 1e-4 * v + 1e-4, "nFFT \(stft.nFFT) frame \(f) bin \(k): \(got) vs torch \(v)")
      }
      let sum = s.reduce(0.0) { $0 + Double($1) }
      #expect(abs(sum - total) < 1e-4 * total)
    }
    let magnitude = STFT(nFFT: 256, hopLength: 64).spectrogram(x, power: 1).scalars
    #expect(abs(Double(magnitude[3 * 129 + 14]) - 1006.963039898807.squareRoot()) < 1e-3)
  }

  @Test func melScalesMatchLibrosa() {
    let hz: [Double] = [0, 440, 1000, 2000, 4000]
    let slaney: [Double] = [0.0, 6.6, 15, 25.08188015730832, 35.163760314616646]
    let htk: [Double] = [0.0, 549.6386753811499, 999.9855371396244, 1521.3595541555756, 2146.06452750619]
    for i in hz.indices {
      #expect(abs(MelFilterbank.mel(fromHz: hz[i]) - slaney[i]) < 1e-9)
      #expect(abs(MelFilterbank.mel(fromHz: hz[i], scale: .htk) - htk[i]) < 1e-9)
      #expect(abs(MelFilterbank.hz(fromMel: slaney[i]) - hz[i]) < 1e-9)
      #expect(abs(MelFilterbank.hz(fromMel: htk[i], scale: .htk) - hz[i]) < 1e-8)
    }
  }

  @Test func filterbankMatchesLibrosaAndTorchaudioDefaults() {
    // librosa.filters.mel(sr=8000, n_fft=256, n_mels=10) and its htk=True, norm=None variant.
    let cases: [(MelFilterbank, [Double], [Int], Int, [Double])] = [
      (MelFilterbank(sampleRate: 8000, nFFT: 256, nMels: 10),
       [0.03197761713787082, 0.031977617137870826, 0.03197761713787082, 0.03200969635314729, 0.032016743030397365, 0.031973893577124726, 0.03201801992251075, 0.03200255199345005, 0.03199265863066715, 0.031996771601846795],
       [7, 14, 20, 27, 34, 43, 53, 66, 83, 103], 21,
       [0.0003685047970768435, 0.0010495528021573998, 0.001730600807237956, 0.0024116488123185125, 0.003092696817399069, 0.003773744822479625, 0.004454792827560181, 0.0041630769413855, 0.0034957729450626057, 0.0028284689487397107, 0.0021611649524168153, 0.0014938609560939205, 0.0008265569597710255, 0.00015925296344813055]),
      (MelFilterbank(sampleRate: 8000, nFFT: 256, nMels: 10, scale: .htk, normalization: .none),
       [4.614200293574852, 5.507164920566659, 6.554408917596599, 7.780285852093842, 9.264138202898692, 11.01453844591341, 13.089141014517436, 15.567079362376331, 18.51225387634571, 22.003518278448485],
       [4, 9, 15, 22, 31, 41, 53, 67, 84, 104], 16,
       [0.10504518430290527, 0.245567437860101, 0.3860896914172967, 0.5266119449744924, 0.6671341985316881, 0.8076564520888838, 0.9481787056460796, 0.925398679540854, 0.8072134224317669, 0.6890281653226799, 0.5708429082135928, 0.4526576511045058, 0.3344723939954187, 0.21628713688633167, 0.09810187977724462]),
    ]
    for (bank, sums, peaks, start, row3) in cases {
      let bins = bank.binCount
      let w = bank.weights
      for m in 0..<bank.nMels {
        let row = Array(w[(m * bins)..<((m + 1) * bins)])
        #expect(row.allSatisfy { $0 >= 0 })
        #expect(abs(Double(row.reduce(0, +)) - sums[m]) < 1e-5 * sums[m])
        #expect(row.indices.max { row[$0] < row[$1] } == peaks[m])
      }
      let row = Array(w[(3 * bins)..<(4 * bins)])
      for k in 0..<bins {
        let expected = (start..<(start + row3.count)).contains(k) ? row3[k - start] : 0
        #expect(abs(Double(row[k]) - expected) < 1e-6 * max(1, expected), "bin \(k)")
      }
    }
  }

  @Test func filterbankPropertiesForSpeechSettings() {
    let bank = MelFilterbank(sampleRate: 8000, nFFT: 256, nMels: 40, fMin: 20)
    let centres = bank.centerFrequencies
    #expect(zip(centres, centres.dropFirst()).allSatisfy { $0 < $1 })
    #expect(bank.edges.first == 20 && abs((bank.edges.last ?? 0) - 4000) < 1e-9)
    // Every bin between the first and last centre is covered by some filter.
    let bins = bank.binCount
    for k in 0..<bins {
      let hz = Double(k) * 8000 / 256
      guard hz >= centres[0] && hz <= centres[39] else { continue }
      #expect((0..<40).contains { bank.weights[$0 * bins + k] > 0 }, "bin \(k) uncovered")
    }
    #expect(bank.tensor.shape == [40, 129])
  }

  @Test func logMelOfASinePeaksInItsBand() {
    let features = LogMelSpectrogram(sampleRate: 8000, nFFT: 256, hopLength: 80, nMels: 40)
    for hz in [300.0, 1000, 2500] {
      let x = features(audioDSPSine(hz, rate: 8000, count: 8000))
      #expect(x.shape == [101, 40])
      let frame = Array(x.scalars[(50 * 40)..<(51 * 40)])
      let band = frame.indices.max { frame[$0] < frame[$1] } ?? -1
      let centres = features.filterbank.centerFrequencies
      let nearest = centres.indices.min { abs(centres[$0] - hz) < abs(centres[$1] - hz) } ?? -2
      #expect(abs(band - nearest) <= 1, "\(hz) Hz peaks in band \(band), nearest centre is band \(nearest)")
    }
    // Silence hits the floor; decibels cap the range at topDB below the peak.
    let silent = features([Float](repeating: 0, count: 800))
    #expect(silent.scalars.allSatisfy { abs($0 - log(1e-10)) < 1e-3 })
    let db = LogMelSpectrogram(sampleRate: 8000, nFFT: 256, hopLength: 80, nMels: 40, compression: .decibels())
    let d = db(audioDSPSine(440, rate: 8000, count: 4000)).scalars
    let top = d.max() ?? 0
    #expect(d.allSatisfy { $0 >= top - 80 - 1e-3 })
  }

  @Test func logMelOfABatch() throws {
    let features = LogMelSpectrogram(sampleRate: 8000, nFFT: 128, hopLength: 64, nMels: 20)
    let a = audioDSPSine(500, rate: 8000, count: 640)
    let b = audioDSPSine(2000, rate: 8000, count: 640)
    let batch = try Tensor(shape: [2, 1, 640], a + b)
    let out = features(batch)
    #expect(out.shape == [2, 11, 20])
    #expect(Array(out.scalars[0..<220]) == features(a).scalars)
    #expect(Array(out.scalars[220..<440]) == features(b).scalars)
  }
}
