#!/usr/bin/env python3
"""Make the `asrc vocab` reference under Tests/Fixtures/vocab/.

The Hugging Face fine-tuning guide's vocabulary recipe applied to a few transcripts:
remove_special_characters (chars_to_ignore_regex = '[\\,\\?\\.\\!\\-\\;\\:\\"]', then .lower()),
extract_all_chars (the set of characters of all transcripts), " " replaced by "|", then
"[UNK]" and "[PAD]" appended. The guide enumerates the character set in set order (not
deterministic); asrc documents a deterministic order (characters by code point, then |, [UNK],
[PAD]), which is recorded here as "vocab" built from the guide's character set. The
normalised transcripts are then encoded by transformers' Wav2Vec2CTCTokenizer loaded from that
vocab.json, and the ids recorded.

What it makes:

  transcripts.csv   path,text (the audio paths need not exist for `asrc vocab`)
  expected.json     versions, the guide's character set, the vocabulary, the normalised
                    transcripts and their token ids from Wav2Vec2CTCTokenizer

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_vocab_reference.py

Deterministic. Versions recorded in expected.json ("versions").
"""

import csv
import json
import os
import re
import sys
import tempfile

import transformers
from transformers import Wav2Vec2CTCTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "vocab")
TEXTS = ["Hello, World!", "It's a TEST.", "zebra-crossing; yes?", "Numbers: 42 and \"quotes\"", "Ünïcode façade"]
CHARS_TO_IGNORE = '[\\,\\?\\.\\!\\-\\;\\:\\"]'


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "transcripts.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "text"])
        for i, text in enumerate(TEXTS):
            w.writerow([f"audio/{i}.wav", text])
    normalised = [re.sub(CHARS_TO_IGNORE, "", t).lower() for t in TEXTS]
    characters = sorted(set(" ".join(normalised)))
    assert " " in characters
    ordered = [c for c in characters if c != " "] + ["|", "[UNK]", "[PAD]"]
    vocab = {c: i for i, c in enumerate(ordered)}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vocab.json")
        with open(path, "w") as f:
            json.dump(vocab, f)
        tokenizer = Wav2Vec2CTCTokenizer(path, unk_token="[UNK]", pad_token="[PAD]", word_delimiter_token="|")
        ids = [tokenizer(t).input_ids for t in normalised]
        decoded = [tokenizer.decode(i) for i in ids]
    out = dict(
        versions=dict(transformers=transformers.__version__, python=sys.version.split()[0]),
        how_made=__doc__.split("What it makes")[0].strip(),
        texts=TEXTS,
        guide_characters=characters,
        vocab=vocab,
        normalised=normalised,
        ids=ids,
        decoded=decoded,
    )
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(vocab, ids, decoded)


if __name__ == "__main__":
    main()
