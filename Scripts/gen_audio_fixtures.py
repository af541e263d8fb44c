#!/usr/bin/env python3
"""Reference values for Tests/GenAIDataTests/AudioDSPTests.swift.

- STFT power spectrogram: torch.stft (center=True, pad_mode="reflect", periodic Hann window),
  for a fixed test signal; printed at a few (frame, bin) positions plus the total.
- Mel filterbanks: librosa.filters.mel's algorithm (Slaney scale + Slaney norm, and HTK scale
  without norm, which is torchaudio's melscale_fbanks default), re-implemented here in numpy
  from librosa 0.10's source because librosa is not installed.
- mu-law: torchaudio.functional.mu_law_encoding / mu_law_decoding's formulas in torch float32
  (torchaudio is not installed either).

The Swift tests embed the printed numbers as literals; they never run Python.

Usage: ~/.cache/bench-venv/bin/python Scripts/gen_audio_fixtures.py   (numpy + torch)
"""
import numpy as np
import torch


def test_signal(n):
    """The signal the Swift test builds the same way: two sines and a deterministic ramp."""
    i = np.arange(n, dtype=np.float64)
    x = (0.5 * np.sin(2 * np.pi * 440 * i / 8000)
         + 0.25 * np.sin(2 * np.pi * 1234.5 * i / 8000 + 0.3)
         + 0.1 * ((i * 7919) % 101 / 50 - 1))
    return x.astype(np.float32)


def stft_power(x, n_fft, hop, win):
    window = torch.hann_window(win, periodic=True, dtype=torch.float64)
    s = torch.stft(torch.from_numpy(x.astype(np.float64)), n_fft=n_fft, hop_length=hop, win_length=win,
                   window=window, center=True, pad_mode="reflect", return_complex=True)
    return (s.abs() ** 2).numpy().T  # [frames, bins]


def hz_to_mel(f, htk):
    f = np.asanyarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def mel_to_hz(m, htk):
    m = np.asanyarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filters(sr, n_fft, n_mels, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    """librosa.filters.mel (0.10), float64."""
    fmax = sr / 2 if fmax is None else fmax
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if norm == "slaney":
        enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
        weights *= enorm[:, np.newaxis]
    return weights


def mu_law_encoding(x, channels=256):
    mu = torch.tensor(channels - 1.0)
    x_mu = torch.sign(x) * torch.log1p(mu * torch.abs(x)) / torch.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(torch.int64)


def mu_law_decoding(x_mu, channels=256):
    mu = torch.tensor(channels - 1.0)
    x = (x_mu.to(torch.float32) / mu) * 2 - 1.0
    return torch.sign(x) * (torch.exp(torch.abs(x) * torch.log1p(mu)) - 1.0) / mu


def fmt(values):
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


x = test_signal(1000)
for n_fft, hop, win, points in [(256, 64, 256, [(0, 0), (0, 14), (3, 14), (3, 40), (7, 40), (8, 20), (15, 128), (10, 100)]),
                                 (400, 100, 300, [(0, 0), (0, 22), (4, 22), (5, 62), (10, 200), (6, 150)])]:
    p = stft_power(x, n_fft, hop, win)
    print(f"// torch.stft n_fft={n_fft} hop={hop} win={win}: shape {list(p.shape)}")
    print(f"points: {points}")
    print(f"values: {fmt(p[f, k] for f, k in points)}")
    print(f"total: {float(p.sum())!r}")

for htk, norm in [(False, "slaney"), (True, None)]:
    w = mel_filters(8000, 256, 10, htk=htk, norm=norm)
    print(f"// mel sr=8000 n_fft=256 n_mels=10 htk={htk} norm={norm}")
    print(f"row sums: {fmt(w.sum(axis=1))}")
    print(f"argmax: {list(int(a) for a in w.argmax(axis=1))}")
    print(f"row 3: {fmt(w[3])}")

print("// hz_to_mel slaney [0, 440, 1000, 2000, 4000]:", fmt(hz_to_mel([0, 440, 1000, 2000, 4000], False)))
print("// hz_to_mel htk [0, 440, 1000, 2000, 4000]:", fmt(hz_to_mel([0, 440, 1000, 2000, 4000], True)))

xs = torch.tensor([-1, -0.5, -0.1, -0.01, 0, 0.001, 0.01, 0.1, 0.5, 0.9, 1], dtype=torch.float32)
print("// mu-law encode", xs.tolist(), "->", mu_law_encoding(xs).tolist())
codes = torch.tensor([0, 1, 64, 127, 128, 129, 200, 255])
print("// mu-law decode", codes.tolist(), "->", fmt(mu_law_decoding(codes).tolist()))
