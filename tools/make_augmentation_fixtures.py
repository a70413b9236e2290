#!/usr/bin/env python3
"""Make Tests/Fixtures/augmentation/: references for asrc's training-data augmentation.

What it makes (deterministic: a fixed seed, no randomness elsewhere):

  input.npy            0.5 s of 16 kHz float32: chirp + two tones + seeded noise, peak about 0.45,
                       an odd length (8011) so that length / factor is rarely whole
  speed_<f>.npy        soxr.resample(input, 16000 * f, 16000, quality="HQ") for f in SPEEDS:
                       speed perturbation as Kaldi/ESPnet's `sox speed f` (python-soxr)
  gain_<dB>.npy        torch.clamp(torch.from_numpy(input) * 10 ** (dB / 20), -1, 1): the body of
                       torchaudio.transforms.Vol(dB, gain_type="db") (F.gain, then the clamp)
  noise.npy            seeded standard normal float32 noise, as long as the input
  noisy_snr<dB>.npy    torchaudio.functional.add_noise(input, noise, snr) as written there
                       (energies by vector_norm ** 2, scale 10 ** ((snr_now - snr) / 20)),
                       computed in float32 with torch
  expected.json        lengths, the formulas above, the versions

How to run (by hand, not in CI):

    /work/venv/bin/pip install numpy soxr torch
    python3 tools/make_augmentation_fixtures.py
"""

import json
import math
import os

import numpy as np
import soxr
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "augmentation")
RATE = 16000
FRAMES = 8011
SPEEDS = [0.9, 1.1, 1.07]
GAINS_DB = [6.0, -10.0, 12.0]  # +12 dB takes the peak past full scale: the clamp is exercised
SNRS_DB = [10.0, 0.0]


def source():
    t = np.arange(FRAMES, dtype=np.float64) / RATE
    rng = np.random.default_rng(2026)
    duration = FRAMES / RATE
    chirp = 0.2 * np.sin(2 * np.pi * (120.0 * t + 0.5 * (3800.0 - 120.0) / duration * t * t))
    tones = 0.12 * np.sin(2 * np.pi * 330.0 * t + 0.4) + 0.08 * np.sin(2 * np.pi * 1700.0 * t)
    signal = chirp + tones + 0.02 * rng.standard_normal(FRAMES)
    return signal.astype(np.float32), rng.standard_normal(FRAMES).astype(np.float32)


def name(value):
    return f"{value:g}".replace("-", "m")


def add_noise(waveform, noise, snr):
    """torchaudio.functional.add_noise for one clip without lengths, line for line."""
    energy_signal = torch.linalg.vector_norm(waveform, ord=2, dim=-1) ** 2
    energy_noise = torch.linalg.vector_norm(noise, ord=2, dim=-1) ** 2
    original_snr_db = 10 * (torch.log10(energy_signal) - torch.log10(energy_noise))
    scale = 10 ** ((original_snr_db - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise


def main():
    os.makedirs(OUT, exist_ok=True)
    signal, noise = source()
    np.save(os.path.join(OUT, "input.npy"), signal)
    np.save(os.path.join(OUT, "noise.npy"), noise)
    speeds = []
    for factor in SPEEDS:
        out = soxr.resample(signal, RATE * factor, RATE, quality="HQ").astype(np.float32)
        file = f"speed_{name(factor)}.npy"
        np.save(os.path.join(OUT, file), out)
        speeds.append({"factor": factor, "file": file, "frames": len(out),
                       "frames_over_factor": FRAMES / factor,
                       "round_half_up": math.floor(FRAMES * RATE / (RATE * factor) + 0.5)})
    gains = []
    for decibels in GAINS_DB:
        out = torch.clamp(torch.from_numpy(signal) * 10 ** (decibels / 20), -1, 1).numpy()
        file = f"gain_{name(decibels)}.npy"
        np.save(os.path.join(OUT, file), out)
        gains.append({"decibels": decibels, "file": file, "clamped": int(np.sum(np.abs(out) == 1.0))})
    noisy = []
    for snr in SNRS_DB:
        out = add_noise(torch.from_numpy(signal), torch.from_numpy(noise), torch.tensor(snr)).numpy()
        file = f"noisy_snr{name(snr)}.npy"
        np.save(os.path.join(OUT, file), out)
        added = out.astype(np.float64) - signal.astype(np.float64)
        measured = 10 * math.log10(np.sum(signal.astype(np.float64) ** 2) / np.sum(added ** 2))
        noisy.append({"snr_db": snr, "file": file, "measured_snr_db": measured})
    info = {
        "made_by": "tools/make_augmentation_fixtures.py",
        "versions": {"numpy": np.__version__, "python_soxr": soxr.__version__, "torch": torch.__version__},
        "input": {"file": "input.npy", "frames": FRAMES, "rate": RATE, "peak": float(np.max(np.abs(signal)))},
        "noise": "noise.npy",
        "speed": {"function": "soxr.resample(input, 16000 * factor, 16000, quality='HQ')", "cases": speeds},
        "gain": {"function": "torch.clamp(torch.from_numpy(input) * 10 ** (dB / 20), -1, 1) (torchaudio Vol, gain_type='db')",
                 "cases": gains},
        "noisy": {"function": "torchaudio.functional.add_noise(input, noise, snr) in float32", "cases": noisy},
    }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
