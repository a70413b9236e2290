#!/usr/bin/env python3
"""Writes the fixtures of asrc's beam search with a word n-gram language model (Tests/Fixtures/lm)
from the reference implementations: KenLM (lmplz, build_binary and its Python module) and
pyctcdecode 0.5, the decoder behind transformers' Wav2Vec2ProcessorWithLM.

    digits.arpa            3-gram of the demo corpus' digits/TRAIN transcripts (lmplz)
    sentences.arpa         pruned 4-gram of sentences/TRAIN (lmplz --prune 0 1 1 1)
    small.arpa             3-gram of eight digits/TRAIN transcripts, the base of the files below
    small.binary           small.arpa in KenLM's binary format (build_binary), for the refusal test
    pruned_suffix.arpa     small.arpa without a bigram that a trigram ends with (as SRILM prunes),
                           which KenLM fills in from the backoff
    malformed/*.arpa       broken copies of small.arpa; KenLM refuses every one
    logits/NAME.npy        float32 logits [frames, 18] of the demo model on digits/TEST files
    vocab.json             the demo model's vocabulary (its tokens in id order are the labels)
    expected.json          kenlm's full_scores and score for sample sentences, pyctcdecode's
                           transcripts (and top-beam scores and word frames) under several
                           settings, greedy transcripts, references, word error rates,
                           CPython's iteration order of the candidate-class sets, and for each
                           malformed file the line and reason asrc must report

The logits come from an under-trained demo model (DEMO_STEPS=400 bash tools/demo), so greedy
decoding makes mistakes the language model can fix. They are written by `asrc logits`.

pyctcdecode declares numpy<2. Under NumPy 2 (NEP 50) its scores silently accumulate in float32,
since `python_float + np.float32` stays float32 there; under NumPy 1 they are float64, as its
code intends. This script therefore refuses NumPy 2: run it in a virtual environment with
`pip install "numpy<2" pyctcdecode kenlm`.

lmplz and build_binary are not in the kenlm wheel; build them from its source:
    pip download kenlm --no-deps -d /tmp/k && tar xzf /tmp/k/kenlm-*.tar.gz -C /tmp/k
    apt-get install -y cmake libboost-program-options-dev libboost-system-dev \
        libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev
    cmake -S /tmp/k/kenlm-0.3.0 -B /tmp/k/build && make -C /tmp/k/build lmplz build_binary

Usage (from the repository root, after the demo has trained its model):
    .venv/bin/python tools/make_lm_reference.py --kenlm-bin /tmp/k/build/bin \
        [--model demo-output/model] [--corpus demo-corpus] [--asrc .build/release/asrc] \
        [--files 30] [--out Tests/Fixtures/lm]
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

if int(np.__version__.split(".")[0]) >= 2:
    sys.exit("make_lm_reference.py: pyctcdecode needs NumPy 1 (pip install 'numpy<2'): under NumPy 2 its beam scores add up in float32")

import kenlm  # noqa: E402
from pyctcdecode import build_ctcdecoder  # noqa: E402
from pyctcdecode.constants import LOG_BASE_CHANGE_FACTOR  # noqa: E402

# The decoding settings the fixtures cover: pyctcdecode's defaults, other weights, no language
# model, hotwords, and decode_beams without history pruning (what Wav2Vec2ProcessorWithLM calls).
SETTINGS = [
    {"name": "lm_defaults", "lm": True, "alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": True,
     "beam_width": 100, "prune_history": True, "hotwords": [], "hotword_weight": 10.0},
    {"name": "lm_weights", "lm": True, "alpha": 1.2, "beta": 0.3, "unk_score_offset": -6.0, "score_boundary": False,
     "beam_width": 24, "prune_history": True, "hotwords": [], "hotword_weight": 10.0},
    {"name": "lm_all_beams", "lm": True, "alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": True,
     "beam_width": 100, "prune_history": False, "hotwords": [], "hotword_weight": 10.0},
    {"name": "lm_hotwords", "lm": True, "alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": True,
     "beam_width": 100, "prune_history": True, "hotwords": ["seven", "eleven"], "hotword_weight": 3.0},
    {"name": "no_lm", "lm": False, "beam_width": 100, "prune_history": True, "hotwords": [], "hotword_weight": 10.0},
    {"name": "no_lm_hotwords", "lm": False, "beam_width": 16, "prune_history": False, "hotwords": ["nine oh"], "hotword_weight": 2.5},
]


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def transcripts(folder):
    """(path of the audio, transcript) of a TIMIT-layout folder, sorted by path."""
    result = []
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".TXT"):
                text = open(os.path.join(root, name)).read().split(maxsplit=2)[2].strip()
                result.append((os.path.join(root, name[:-4] + ".WAV"), text))
    return sorted(result)


def lmplz(kenlm_bin, text_lines, out, order, prune=None):
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as corpus:
        corpus.write("\n".join(text_lines) + "\n")
        corpus.flush()
        command = [os.path.join(kenlm_bin, "lmplz"), "-o", str(order), "--discount_fallback"]
        if prune:
            command += ["--prune"] + [str(p) for p in prune]
        with open(corpus.name) as source, open(out, "w") as target:
            run(command, stdin=source, stdout=target, stderr=subprocess.DEVNULL)


def arpa_sections(path):
    """The lines of an ARPA file and, per order, the (first, last) line index of its entries."""
    lines = open(path).read().split("\n")
    sections = {}
    current = None
    for index, line in enumerate(lines):
        match = re.fullmatch(r"\\(\d+)-grams:", line.strip())
        if match:
            current = int(match.group(1))
            sections[current] = [index + 1, index]
        elif line.strip() == "\\end\\":
            current = None
        elif current and line.strip():
            sections[current][1] = index
    return lines, sections


def scores_of(model, sentences):
    """kenlm's full_scores and score for every sentence, with and without boundaries."""
    result = []
    for sentence in sentences:
        for bos, eos in [(True, True), (False, True), (True, False), (False, False)]:
            result.append({
                "sentence": sentence, "bos": bos, "eos": eos,
                "full_scores": [[prob, length, oov] for prob, length, oov in model.full_scores(sentence, bos=bos, eos=eos)],
                "score": model.score(sentence, bos=bos, eos=eos),
            })
    return result


def pruned_suffix_arpa(source, out):
    """An ARPA file without one bigram that some trigram ends with but no trigram starts with,
    and a sentence that needs it; KenLM fills the bigram in from the backoff."""
    lines, sections = arpa_sections(source)
    bigrams = [tuple(lines[i].split("\t")[1].split()) for i in range(sections[2][0], sections[2][1] + 1) if lines[i].strip()]
    trigrams = [tuple(lines[i].split("\t")[1].split()) for i in range(sections[3][0], sections[3][1] + 1) if lines[i].strip()]
    contexts = {t[:2] for t in trigrams}
    fourgram_suffixes = set()
    if 4 in sections:
        fourgrams = [tuple(lines[i].split("\t")[1].split()) for i in range(sections[4][0], sections[4][1] + 1) if lines[i].strip()]
        contexts |= {f[1:3] for f in fourgrams} | {f[:2] for f in fourgrams}
        fourgram_suffixes = {f[2:] for f in fourgrams}
    for trigram in trigrams:
        suffix = trigram[1:]
        if suffix in bigrams and suffix not in contexts and suffix not in fourgram_suffixes and "<s>" not in suffix:
            break
    else:
        sys.exit(f"no bigram to prune in {source}")
    kept = [line for line in lines if not (line.count("\t") >= 1 and tuple(line.split("\t")[1].split()) == suffix)]
    kept = [re.sub(r"^ngram 2=(\d+)$", lambda m: f"ngram 2={int(m.group(1)) - 1}", line) for line in kept]
    open(out, "w").write("\n".join(kept))
    return " ".join(trigram), " ".join(suffix)


def malformed_files(source, folder):
    """Broken copies of `source`, each with the 1-based line asrc must name and words its reason
    must contain; KenLM must refuse every one."""
    lines, sections = arpa_sections(source)
    first_bigram, last_bigram = sections[2]
    trigram_header = sections[3][0] - 1
    end_line = next(i for i, line in enumerate(lines) if line.strip() == "\\end\\")
    cases = []

    def write(name, new_lines, line, reason):
        path = os.path.join(folder, name)
        open(path, "w").write("\n".join(new_lines))
        try:
            kenlm.Model(path)
            sys.exit(f"kenlm accepts {name}, which should be malformed")
        except Exception as error:  # kenlm raises OSError with the C++ message
            kenlm_error = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            kenlm_error = kenlm_error.replace(path, name)
        cases.append({"file": name, "line": line, "reason": reason, "kenlm_error": kenlm_error})

    # A 2-gram count one too large: \3-grams: arrives before the last declared 2-gram.
    copy = list(lines)
    copy[2] = re.sub(r"=(\d+)", lambda m: f"={int(m.group(1)) + 1}", copy[2])
    write("count_too_large.arpa", copy, trigram_header + 1, "\\data\\ declares")
    # A 2-gram count one too small: the last 2-gram stands where \3-grams: should.
    copy = list(lines)
    copy[2] = re.sub(r"=(\d+)", lambda m: f"={int(m.group(1)) - 1}", copy[2])
    write("count_too_small.arpa", copy, last_bigram + 1, "more entries than")
    # The \3-grams: section missing while \data\ declares it.
    copy = lines[:trigram_header] + lines[end_line:]
    write("missing_section.arpa", copy, trigram_header + 1, "before the \\3-grams: section")
    # A \4-grams: section in a file whose \data\ stops at 3.
    copy = lines[:end_line] + ["\\4-grams:", "-0.5\tone two three four", ""] + lines[end_line:]
    write("section_over_order.arpa", copy, end_line + 1, "above the order")
    # A 2-gram line with a third word (no backoff): more words than its section's order.
    copy = list(lines)
    probability, words = copy[first_bigram].split("\t")[:2]
    copy[first_bigram] = f"{probability}\t{words} nine\t-0.1\t-0.2"
    write("ngram_over_order.arpa", copy, first_bigram + 1, "more words than its section's order")
    # A probability that is not a number.
    copy = list(lines)
    copy[first_bigram] = "-0.3x\t" + copy[first_bigram].split("\t", 1)[1]
    write("bad_number.arpa", copy, first_bigram + 1, "is not a number")
    # A positive log probability (IRSTLM's bug; KenLM refuses it by default).
    copy = list(lines)
    copy[first_bigram] = "0.25\t" + copy[first_bigram].split("\t", 1)[1]
    write("positive_probability.arpa", copy, first_bigram + 1, "is positive")
    # No \end\.
    copy = [line for line in lines if line.strip() != "\\end\\"]
    while copy and not copy[-1].strip():
        copy.pop()
    write("missing_end.arpa", copy, len(copy), "without \\end\\")
    # A 2-gram with a word that is not a 1-gram.
    copy = list(lines)
    probability, words, *rest = copy[first_bigram].split("\t")
    copy[first_bigram] = "\t".join([probability, words.split()[0] + " eleven"] + rest)
    write("unknown_word.arpa", copy, first_bigram + 1, "is not among the 1-grams")
    # The empty file.
    write("empty.arpa", [], None, "is empty")
    return cases


def set_orders(rng, count):
    """CPython's iteration order of set(ascending classes) | {extra}, as pyctcdecode builds it."""
    cases = []
    for _ in range(count):
        classes = rng.choice([5, 18, 18, 32, 40, 60, 150])
        ascending = sorted(rng.sample(range(classes), int(rng.random() * rng.random() * classes)))
        extra = rng.randrange(classes)
        order = [int(x) for x in (set(np.array(ascending, dtype=np.int64)) | {np.int64(extra)})]
        cases.append({"ascending": ascending, "extra": extra, "order": order})
    return cases


def greedy(logits, labels):
    """Wav2Vec2CTCTokenizer.decode of the argmax path with pyctcdecode's labels ("" blank, " " delimiter)."""
    ids = logits.argmax(axis=1)
    pieces = [labels[i] for n, i in enumerate(ids) if n == 0 or i != ids[n - 1]]
    return " ".join("".join(pieces).split())


def word_errors(hypothesis, reference):
    h, r = hypothesis.split(), reference.split()
    row = list(range(len(r) + 1))
    for i in range(1, len(h) + 1):
        previous, row[0] = row[0], i
        for j in range(1, len(r) + 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (h[i - 1] != r[j - 1]))
    return row[len(r)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kenlm-bin", required=True, help="folder with KenLM's lmplz and build_binary")
    parser.add_argument("--model", default="demo-output/model")
    parser.add_argument("--corpus", default="demo-corpus")
    parser.add_argument("--asrc", default=".build/release/asrc")
    parser.add_argument("--files", type=int, default=30, help="digits/TEST files whose logits are kept")
    parser.add_argument("--out", default="Tests/Fixtures/lm")
    args = parser.parse_args()

    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "logits"))
    os.makedirs(os.path.join(out, "malformed"))

    digits_train = transcripts(os.path.join(args.corpus, "digits/TRAIN"))
    sentences_train = transcripts(os.path.join(args.corpus, "sentences/TRAIN"))
    sentences_test = transcripts(os.path.join(args.corpus, "sentences/TEST"))
    digits_test = transcripts(os.path.join(args.corpus, "digits/TEST"))

    # Language models.
    digits_arpa = os.path.join(out, "digits.arpa")
    lmplz(args.kenlm_bin, [t for _, t in digits_train], digits_arpa, 3)
    sentences_arpa = os.path.join(out, "sentences.arpa")
    lmplz(args.kenlm_bin, [t for _, t in sentences_train], sentences_arpa, 4, prune=[0, 1, 1, 1])
    small_arpa = os.path.join(out, "small.arpa")
    lmplz(args.kenlm_bin, [t for _, t in digits_train[:8]], small_arpa, 3)
    run([os.path.join(args.kenlm_bin, "build_binary"), small_arpa, os.path.join(out, "small.binary")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pruned_arpa = os.path.join(out, "pruned_suffix.arpa")
    trigram, removed = pruned_suffix_arpa(small_arpa, pruned_arpa)

    # kenlm's scores.
    rng = random.Random(0)
    digits_model, sentences_model, pruned_model = kenlm.Model(digits_arpa), kenlm.Model(sentences_arpa), kenlm.Model(pruned_arpa)
    digit_sentences = [t for _, t in digits_test[:12]] + ["", "one two eleven three", "<unk> four", "zero zero zero zero zero zero zero"]
    sentence_sentences = [t for _, t in sentences_test[:25]] + ["the dog", "zebra quietly sang", "her his their"]
    pruned_sentences = [trigram, removed, "one " + removed, trigram.replace("</s>", "").strip()]
    scores = {
        "digits.arpa": scores_of(digits_model, digit_sentences),
        "sentences.arpa": scores_of(sentences_model, sentence_sentences),
        "pruned_suffix.arpa": scores_of(pruned_model, pruned_sentences),
    }
    contains = {name: {word: word in model for word in ["one", "eleven", "<s>", "</s>", "<unk>", "<UNK>", "the", ""]}
                for name, model in [("digits.arpa", digits_model), ("sentences.arpa", sentences_model)]}

    # Logits of the demo model on the first test files.
    shutil.copy(os.path.join(args.model, "vocab.json"), os.path.join(out, "vocab.json"))
    vocab = json.load(open(os.path.join(args.model, "vocab.json")))
    labels = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    files = []
    for audio, reference in digits_test[: args.files]:
        name = os.path.basename(os.path.dirname(audio)) + "_" + os.path.basename(audio)[:-4]
        npy = os.path.join(out, "logits", name + ".npy")
        run([args.asrc, "logits", "--backend", "interp", "--model", args.model, audio, "-o", npy], stdout=subprocess.DEVNULL)
        files.append({"name": name, "reference": reference, "audio": os.path.relpath(audio, args.corpus)})

    # pyctcdecode.
    decoder_labels = None
    results = {}
    for setting in SETTINGS:
        decoder = build_ctcdecoder(
            labels, kenlm_model_path=digits_arpa if setting["lm"] else None,
            **({"alpha": setting["alpha"], "beta": setting["beta"], "unk_score_offset": setting["unk_score_offset"],
                "lm_score_boundary": setting["score_boundary"]} if setting["lm"] else {}))
        decoder_labels = decoder._alphabet.labels
        outputs = []
        for entry in files:
            logits = np.load(os.path.join(out, "logits", entry["name"] + ".npy"))
            beams = decoder.decode_beams(
                logits, beam_width=setting["beam_width"], prune_history=setting["prune_history"],
                hotwords=setting["hotwords"] or None, hotword_weight=setting["hotword_weight"])
            text, _, word_frames, logit_score, lm_score = beams[0]
            if setting["prune_history"]:
                # decode() is decode_beams(prune_history=True)[0][0]; check that it agrees.
                assert decoder.decode(logits, beam_width=setting["beam_width"], hotwords=setting["hotwords"] or None,
                                      hotword_weight=setting["hotword_weight"]) == text
            outputs.append({"text": text, "logit_score": float(logit_score), "lm_score": float(lm_score),
                            "words": [[w, int(s), int(e)] for w, (s, e) in word_frames], "beams": len(beams)})
        results[setting["name"]] = outputs

    for entry in files:
        entry["greedy"] = greedy(np.load(os.path.join(out, "logits", entry["name"] + ".npy")), decoder_labels)
    words = sum(len(f["reference"].split()) for f in files)
    wer = {"greedy": sum(word_errors(f["greedy"], f["reference"]) for f in files) / words}
    for name, outputs in results.items():
        wer[name] = sum(word_errors(o["text"], f["reference"]) for o, f in zip(outputs, files)) / words

    cases = malformed_files(small_arpa, os.path.join(out, "malformed"))

    expected = {
        "generator": "tools/make_lm_reference.py",
        "versions": {"pyctcdecode": __import__("pyctcdecode").__version__ if hasattr(__import__("pyctcdecode"), "__version__") else "0.5.0",
                     "numpy": np.__version__, "kenlm": getattr(kenlm, "__version__", "0.3.0")},
        "model": args.model, "labels": labels, "decoder_labels": decoder_labels,
        "log_base_change_factor": LOG_BASE_CHANGE_FACTOR,
        "kenlm_scores": scores, "kenlm_contains": contains,
        "pruned_suffix": {"trigram": trigram, "removed_bigram": removed},
        "settings": SETTINGS, "files": files, "results": results, "word_error_rates": wer,
        "malformed": cases, "set_orders": set_orders(rng, 150),
    }
    with open(os.path.join(out, "expected.json"), "w") as target:
        json.dump(expected, target, indent=1)
        target.write("\n")
    print(f"wrote {out}: {len(files)} files; WER " + ", ".join(f"{k} {v:.4f}" for k, v in wer.items()))
    agreement = {name: sum(o["text"] == f["greedy"] for o, f in zip(outputs, files)) for name, outputs in results.items()}
    print("transcripts equal to greedy: " + ", ".join(f"{k} {v}/{len(files)}" for k, v in agreement.items()))


if __name__ == "__main__":
    main()
