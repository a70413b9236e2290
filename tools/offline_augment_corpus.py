#!/usr/bin/env python3
"""A copy of a TIMIT-layout training folder with every clip padded with silence and/or filtered by
a random seven-band EQ, through sox: one draw per utterance, fixed for the whole run (an offline
stand-in for augmentations asrc train does not have, to learn whether they are worth building).

    python3 tools/offline_augment_corpus.py SRC/TRAIN DST/TRAIN MODE

MODE names the changes, joined by '-':
  pad    silence before the speech, 0-0.4 s, and after it, 0-0.2 s (Festival and Flite start with
         about 0.2 s of silence; espeak-ng speaks at once);
  half   with pad: only about half the clips get it;
  eq     seven peaking filters at 100 Hz-6 kHz (one octave wide), gains drawn from -12 to 12 dB
         (audiomentations' SevenBandParametricEQ), the clip lowered 12 dB first and normalised to
         -3 dBFS after.
Deterministic (random.Random(0), in sorted path order). Writes NIST SPHERE clips and .TXT files
with the new sample counts. Needs sox and soxi on PATH. Used for docs/architecture.md's
"Data augmentation" measurements of 2026-11-27.
"""
import glob
import os
import random
import subprocess
import sys

BANDS_HZ = [100, 200, 400, 800, 1600, 3200, 6000]


def transcript_path(wav):
    """NAME.TXT or NAME.txt beside NAME.WAV (either case)."""
    for suffix in (".TXT", ".txt"):
        if os.path.exists(wav[:-4] + suffix):
            return wav[:-4] + suffix
    sys.exit(f"offline_augment_corpus: {wav}: no NAME.TXT beside it")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    source, destination, mode = sys.argv[1:]
    parts = set(mode.split("-"))
    unknown = parts - {"pad", "half", "eq"}
    if unknown or not parts & {"pad", "eq"} or ("half" in parts and "pad" not in parts):
        sys.exit(f"offline_augment_corpus: MODE must combine pad, half (with pad) and eq, not {mode!r}")
    files = sorted(path for path in glob.glob(os.path.join(source, "*", "*", "*")) if path.lower().endswith(".wav"))
    if not files:
        sys.exit(f"offline_augment_corpus: {source}: no DR*/SPEAKER/*.WAV clips")
    rng = random.Random(0)
    for path in files:
        out = os.path.join(destination, os.path.relpath(path, source))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        effects = ["gain", "-12"] if "eq" in parts else []
        if "eq" in parts:
            for band in BANDS_HZ:
                effects += ["equalizer", str(band), "1.0q", f"{rng.uniform(-12, 12):.1f}"]
        if "pad" in parts and ("half" not in parts or rng.random() < 0.5):
            effects += ["pad", f"{rng.uniform(0.0, 0.4):.3f}", f"{rng.uniform(0.0, 0.2):.3f}"]
        if "eq" in parts:
            effects += ["gain", "-n", "-3"]
        wav = out + ".tmp.wav"
        subprocess.run(["sox", "-V1", "-D", path, "-t", "wav", "-e", "signed-integer", "-b", "16", wav] + effects, check=True)
        subprocess.run(["sox", "-V1", "-D", wav, "-t", "sph", out], check=True)
        os.remove(wav)
        samples = int(subprocess.run(["soxi", "-s", out], capture_output=True, text=True, check=True).stdout)
        with open(transcript_path(path)) as file:
            transcript = file.read().split(" ", 2)[2]
        with open(os.path.join(os.path.dirname(out), os.path.basename(transcript_path(path))), "w") as file:
            file.write(f"0 {samples} {transcript}")
    print(f"wrote {len(files)} clips to {destination} ({mode})")


if __name__ == "__main__":
    main()
