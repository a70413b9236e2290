#!/usr/bin/env python3
"""Make the collator reference under Tests/Fixtures/collator/.

Three short clips of different lengths go through the Hugging Face fine-tuning guide's
preprocessing (prepare_dataset: processor(audio, sampling_rate=16000).input_values[0] and
processor(text=...).input_ids per utterance) and its DataCollatorCTCWithPadding (copied from
tools/make_trainer_reference.py), once with a feature extractor that has
return_attention_mask=False and once with True.

What it makes:

  audio/{a,b,c}.wav            16 kHz 16-bit mono clips (0.15 s, 0.10 s, 0.125 s; gliding sine plus
                               noise, numpy seed 0)
  data.csv                     path,text in batch order
  vocab.json                   the tokenizer's vocabulary (a-z, ', | for the space, [UNK], [PAD])
  mask_{false,true}/input_values.npy    float32 [3, longest] padded batch
  mask_{false,true}/attention_mask.npy  int64 [3, longest] (mask_true only: the collator returns none
                                        when the feature extractor does not return attention masks)
  mask_{false,true}/labels.npy          int64 [3, longest label], -100 where padded
  mask_{false,true}_multiple_1000/      the same with the collator's pad_to_multiple_of=1000 (the
                                        longest clip, 2,400 samples, padded to 3,000)
  expected.json                versions and how it was made

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_collator_reference.py

Deterministic (numpy seed 0). Versions recorded in expected.json ("versions").
"""

import csv
import json
import os
import sys
import tempfile

import numpy as np
import soundfile
import torch
import transformers
from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "collator")
SR = 16000
CLIPS = [("a", 0.15, "hello"), ("b", 0.10, "it's"), ("c", 0.125, "ab c")]


# The guide's collator, exactly as the trainer fixture uses it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_trainer_reference import DataCollatorCTCWithPadding  # noqa: E402


def make_audio(seconds, rng):
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    f = 200 + 600 * t / max(t[-1], 1e-9)
    x = 0.4 * np.sin(2 * np.pi * np.cumsum(f) / SR) * np.hanning(n) + 0.01 * rng.standard_normal(n)
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def main():
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(OUT, "audio"), exist_ok=True)
    vocab = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}
    vocab.update({"'": 26, "|": 27, "[UNK]": 28, "[PAD]": 29})
    with open(os.path.join(OUT, "vocab.json"), "w") as f:
        json.dump(vocab, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "data.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "text"])
        for name, seconds, text in CLIPS:
            soundfile.write(os.path.join(OUT, "audio", f"{name}.wav"), make_audio(seconds, rng), SR, subtype="PCM_16")
            w.writerow([f"audio/{name}.wav", text])
    tokenizer = Wav2Vec2CTCTokenizer(os.path.join(OUT, "vocab.json"), unk_token="[UNK]", pad_token="[PAD]", word_delimiter_token="|")
    shapes = {}
    for mask, multiple in ((False, None), (True, None), (False, 1000), (True, 1000)):
        extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=True,
                                             return_attention_mask=mask)
        processor = Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer)
        features = []
        for name, _, text in CLIPS:
            audio, rate = soundfile.read(os.path.join(OUT, "audio", f"{name}.wav"), dtype="float32")
            assert rate == SR
            features.append(dict(input_values=processor(audio, sampling_rate=SR).input_values[0],
                                 labels=processor(text=text).input_ids))
        batch = DataCollatorCTCWithPadding(processor=processor, padding=True, pad_to_multiple_of=multiple)(features)
        name = f"mask_{str(mask).lower()}" + (f"_multiple_{multiple}" if multiple else "")
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, "input_values.npy"), batch["input_values"].numpy().astype(np.float32))
        np.save(os.path.join(folder, "labels.npy"), batch["labels"].numpy().astype(np.int64))
        assert ("attention_mask" in batch) == mask
        if mask:
            np.save(os.path.join(folder, "attention_mask.npy"), batch["attention_mask"].numpy().astype(np.int64))
        shapes[name] = {k: list(v.shape) for k, v in batch.items()}
    out = dict(
        versions=dict(transformers=transformers.__version__, torch=torch.__version__, numpy=np.__version__,
                      soundfile=soundfile.__version__, python=sys.version.split()[0]),
        how_made=__doc__.split("How to run")[0].strip(),
        clips=[dict(name=n, seconds=s, text=t) for n, s, t in CLIPS],
        shapes=shapes,
    )
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(shapes)


if __name__ == "__main__":
    main()
