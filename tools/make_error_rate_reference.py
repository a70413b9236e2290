#!/usr/bin/env python3
"""Make the WER/CER reference under Tests/Fixtures/error_rate/ with jiwer.

What it makes:

  expected.json   "pairs": reference/hypothesis pairs (empty hypotheses, empty references,
                  punctuation, case, repeated words, runs of spaces and tabs), each with
                  jiwer.process_words / jiwer.process_characters counts (substitutions,
                  deletions, insertions, hits, reference length) and jiwer.wer / jiwer.cer of
                  the pair alone;
                  "corpus": jiwer.wer and jiwer.cer over the whole list of pairs (the corpus
                  rate: errors summed over pairs divided by reference lengths summed), and over
                  a few sub-lists, including lists whose references are all empty (where jiwer
                  returns the number of insertions rather than a ratio);
                  "eval": a manifest of the three reference clips (Tests/Fixtures/reference/
                  audio/{a,b,c}.wav) with references chosen here, the greedy transcripts
                  transformers produced for them with the group_postln_evenpos model (read
                  from Tests/Fixtures/reference/group_postln_evenpos/expected.json, made by
                  tools/make_reference.py), and jiwer's corpus WER/CER and per-pair counts for
                  that evaluation (what `asrc eval` must print).

How to run (by hand, not in CI), from the repository root:

    pip install jiwer
    python3 tools/make_error_rate_reference.py

Deterministic: no randomness. The versions used are recorded in expected.json ("versions").
"""

import json
import os
import sys

import jiwer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "error_rate")

PAIRS = [
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("the cat sat on the mat", "the cat sat on a mat"),
    ("the cat sat on the mat", "cat sat on the mat"),
    ("the cat sat on the mat", "the cat sat on the mat today"),
    ("the cat sat on the mat", ""),
    ("", "hello there"),
    ("", ""),
    ("hello", "hello hello hello"),
    ("the the the", "the"),
    ("a a b b", "b b a a"),
    ("Hello, world!", "hello world"),
    ("hello world", "Hello, World!"),
    ("it's a dog's life", "its a dogs life"),
    ("don't stop", "dont stop"),
    ("  leading and trailing  ", "leading and trailing"),
    ("runs  of   spaces", "runs of spaces"),
    ("tab\tinside", "tab inside"),
    ("newline\nand  tab\t\tpair", "newline and tab pair"),
    ("kitten", "sitting"),
    ("abc", "abcabc"),
    ("x", "y"),
    ("one two three four five", "five four three two one"),
    ("one two three", "one too three"),
    ("café au lait", "cafe au lait"),
    ("ünïcödé wörds", "unicode words"),
    ("a", "a b c d e f"),
    ("a b c d e f", "a"),
    ("yes.", "yes"),
    ("wait... what?", "wait what"),
    ("repeated repeated repeated words words", "repeated words"),
    ("i i i i", "i i"),
    ("short", "a completely different and much longer hypothesis"),
]

# Sub-lists (indices into PAIRS) whose corpus rates are recorded as well.
SUBLISTS = {
    "all": list(range(len(PAIRS))),
    "first_five": [0, 1, 2, 3, 4],
    "with_empty_reference": [0, 5, 6],
    "empty_references_only": [5, 6],
    "empty_reference_single": [5],
    "empty_both": [6],
    "empty_hypotheses": [4, 6],
    "punctuation": [10, 11, 12, 13, 27, 28],
    "repeats": [7, 8, 9, 29, 30],
    "whitespace": [14, 15, 16, 17],
}

# `asrc eval` case: references for the three reference clips (lower-case letters and spaces, so
# that the guide's normalisation leaves them unchanged, and short enough for CTC on each clip).
EVAL_REFERENCES = {"a": "yia ijiay", "b": "iyiy biyim iyib", "c": "ymym iymy mamqm yiye"}


def counts(kind, reference, hypothesis):
    out = (jiwer.process_words if kind == "words" else jiwer.process_characters)(reference, hypothesis)
    references = out.references[0]
    return dict(
        substitutions=out.substitutions, deletions=out.deletions, insertions=out.insertions, hits=out.hits,
        errors=out.substitutions + out.deletions + out.insertions, reference_length=len(references),
        rate=out.wer if kind == "words" else out.cer, tokens=references,
    )


def main():
    pairs = []
    for reference, hypothesis in PAIRS:
        words = counts("words", reference, hypothesis)
        chars = counts("chars", reference, hypothesis)
        assert words["rate"] == jiwer.wer(reference, hypothesis)
        assert chars["rate"] == jiwer.cer(reference, hypothesis)
        pairs.append(dict(reference=reference, hypothesis=hypothesis, words=words, characters=chars))
    corpus = {}
    for name, indices in SUBLISTS.items():
        refs = [PAIRS[i][0] for i in indices]
        hyps = [PAIRS[i][1] for i in indices]
        corpus[name] = dict(indices=indices, wer=float(jiwer.wer(refs, hyps)), cer=float(jiwer.cer(refs, hyps)))

    expected = json.load(open(os.path.join(ROOT, "Tests", "Fixtures", "reference", "group_postln_evenpos", "expected.json")))
    transcripts = {k: v["greedy_transcript"] for k, v in expected["audio"].items()}
    names = sorted(EVAL_REFERENCES)
    refs = [EVAL_REFERENCES[n] for n in names]
    hyps = [transcripts[n] for n in names]
    eval_case = dict(
        model="Tests/Fixtures/reference/group_postln_evenpos",
        audio={n: f"Tests/Fixtures/reference/audio/{n}.wav" for n in names},
        references=EVAL_REFERENCES,
        hypotheses=dict(zip(names, hyps)),
        wer=float(jiwer.wer(refs, hyps)),
        cer=float(jiwer.cer(refs, hyps)),
        per_utterance={n: dict(words=counts("words", r, h), characters=counts("chars", r, h)) for n, r, h in zip(names, refs, hyps)},
    )
    result = dict(
        versions=dict(jiwer=getattr(jiwer, "__version__", None) or __import__("importlib.metadata").metadata.version("jiwer"),
                      python=sys.version.split()[0]),
        how_made="jiwer.process_words / process_characters per pair (default transforms: wer_default = "
        "RemoveMultipleSpaces, Strip, ReduceToListOfListOfWords (split on ' ' only); cer_default = Strip, "
        "ReduceToListOfListOfChars (inner spaces count)); corpus rates are jiwer.wer / jiwer.cer over lists. "
        "With every reference empty jiwer returns the number of insertions, not a ratio.",
        pairs=pairs,
        corpus=corpus,
        eval=eval_case,
    )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print("wrote", os.path.join(OUT, "expected.json"), corpus["all"], eval_case["wer"], eval_case["cer"])


if __name__ == "__main__":
    main()
