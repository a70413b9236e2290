#!/usr/bin/env python3
"""pyctcdecode's side of tools/bench-lm-decoding: BeamSearchDecoderCTC.decode over saved logits,
one process, one thread, the best of --repeat passes, in seconds per audio-second.

    python tools/bench_lm_decoding.py --vocab vocab.json [--lm lm.arpa] [--beam-width 100]
        [--repeat 3] [--seconds-per-frame 0.02] LOGITS.npy...
"""

import argparse
import json
import time

import numpy as np
from pyctcdecode import build_ctcdecoder


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--lm")
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--beta", type=float, default=1.5)
    parser.add_argument("--beam-width", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds-per-frame", type=float, default=0.02)
    parser.add_argument("logits", nargs="+")
    args = parser.parse_args()

    vocab = json.load(open(args.vocab))
    labels = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    decoder = build_ctcdecoder(labels, kenlm_model_path=args.lm, **({"alpha": args.alpha, "beta": args.beta} if args.lm else {}))
    inputs = [np.load(path) for path in args.logits]
    audio_seconds = sum(x.shape[0] for x in inputs) * args.seconds_per_frame
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for logits in inputs:
            decoder.decode(logits, beam_width=args.beam_width)
        best = min(best, time.perf_counter() - start)
    what = f"language model {args.lm}" if args.lm else "no language model"
    print(f"pyctcdecode beam search (width {args.beam_width}, {what}): {len(inputs)} files, {audio_seconds:.1f} audio-seconds "
          f"in {best:.3f} s: {best / audio_seconds:.5f} s per audio-second")


if __name__ == "__main__":
    main()
