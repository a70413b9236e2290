#!/usr/bin/env python3
"""A word unigram language model in ARPA format from the transcripts of a TIMIT-layout folder
(DR*/SPEAKER/NAME.TXT, "BEGIN END transcript"), for `asrc eval --lm` / `asrc transcribe --lm`:
maximum-likelihood word probabilities with </s> counted once per transcript, <s> at -99 and
<unk> at 1e-6, as KenLM writes them. On a closed vocabulary (the demo's digits) it is a lexicon
with word frequencies. Words are the transcripts' lower-cased, whitespace-separated tokens: for
transcripts with punctuation (TIMIT's), strip it first as asrc's text normaliser does, or the
model's words will not match the language model's.

    python3 tools/make_unigram_arpa.py demo-corpus/digits/TRAIN digits.arpa
"""
import collections
import glob
import math
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, destination = sys.argv[1:]
    paths = sorted(glob.glob(os.path.join(source, "*", "*", "*.TXT")))
    if not paths:
        sys.exit(f"make_unigram_arpa: {source}: no DR*/SPEAKER/*.TXT transcripts")
    counts = collections.Counter()
    for path in paths:
        with open(path) as file:
            fields = file.read().split(maxsplit=2)
        if len(fields) < 3:
            sys.exit(f"make_unigram_arpa: {path}: expected 'BEGIN END transcript'")
        counts.update(fields[2].lower().split())
    total = sum(counts.values()) + len(paths)
    lines = ["\\data\\", f"ngram 1={len(counts) + 3}", "", "\\1-grams:",
             f"{math.log10(1e-6):.6f}\t<unk>\t0", "-99\t<s>\t0", f"{math.log10(len(paths) / total):.6f}\t</s>\t0"]
    lines += [f"{math.log10(count / total):.6f}\t{word}\t0" for word, count in sorted(counts.items())]
    lines += ["", "\\end\\", ""]
    with open(destination, "w") as file:
        file.write("\n".join(lines))
    print(f"wrote {destination}: {len(counts)} words from {len(paths)} transcripts")


if __name__ == "__main__":
    main()
