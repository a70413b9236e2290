#!/usr/bin/env python3
"""The reference half of tools/bench-longform: transformers' ASR pipeline on the same model, file
and chunk settings as `asrc transcribe`, and the character error rate of asrc's transcript
against the pipeline's.

    python3 tools/bench_longform_pipeline.py MODEL_DIR AUDIO.wav ASRC_OUTPUT.txt [--chunk-length-s 30]

ASRC_OUTPUT.txt is `asrc transcribe`'s text output (path<TAB>text). The audio is read with
soundfile as float32 (what libsndfile gives asrc) and passed as {"raw", "sampling_rate"}. It prints
the pipeline's time, both transcripts' lengths and the CER (Levenshtein distance over the
pipeline transcript's length), and exits 1 when the CER is above --max-cer.
"""

import argparse
import sys
import time

import numpy as np
import soundfile
from transformers import pipeline


def levenshtein(a, b):
    """Edit distance, one DP row at a time; insertions via a running minimum (row[j] = j + cummin(t - k))."""
    if not a or not b:
        return max(len(a), len(b))
    b_codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    row = np.arange(len(b) + 1, dtype=np.int64)
    index = np.arange(len(b) + 1, dtype=np.int64)
    for i, ch in enumerate(a, start=1):
        code = np.frombuffer(ch.encode("utf-32-le"), dtype=np.uint32)[0]
        substitution = row[:-1] + (b_codes != code)
        candidate = np.empty_like(row)
        candidate[0] = i
        candidate[1:] = np.minimum(row[1:] + 1, substitution)
        row = np.minimum.accumulate(candidate - index) + index
    return int(row[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("audio")
    parser.add_argument("asrc_output")
    parser.add_argument("--chunk-length-s", type=float, default=30.0)
    parser.add_argument("--stride-length-s", type=float, default=None)
    parser.add_argument("--max-cer", type=float, default=0.02)
    args = parser.parse_args()

    samples, rate = soundfile.read(args.audio, dtype="float32")
    pipe = pipeline("automatic-speech-recognition", model=args.model, device="cpu")
    start = time.time()
    reference = pipe({"raw": samples, "sampling_rate": rate}, chunk_length_s=args.chunk_length_s,
                     stride_length_s=args.stride_length_s)["text"]
    seconds = time.time() - start
    with open(args.asrc_output) as f:
        hypothesis = f.read().rstrip("\n").split("\t", 1)[1]
    distance = 0 if hypothesis == reference else levenshtein(hypothesis, reference)
    cer = distance / max(len(reference), 1)
    verdict = "PASS" if cer <= args.max_cer else "FAIL"
    print(f"pipeline:         {seconds:.1f} s, {len(reference)} characters, {len(set(reference))} distinct")
    print(f"asrc:             {len(hypothesis)} characters; identical: {hypothesis == reference}")
    print(f"CER vs pipeline:  {cer:.5f} (limit {args.max_cer}) {verdict}")
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
