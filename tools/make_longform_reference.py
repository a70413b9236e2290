#!/usr/bin/env python3
"""Make the long-form (chunked) transcription fixtures under Tests/Fixtures/longform/.

What it makes (deterministic: fixed seeds, CPU, float32):

  long.flac                    21.37 s of mono 16 kHz 16-bit audio: 13 "utterances" of gliding
                               sines with slow envelopes (as tools/make_reference.py's clips),
                               separated by short near-silent gaps. Lengths are chosen so the
                               last chunk of most settings is short.
  <model>/                     two tiny Hugging Face Wav2Vec2ForCTC folders derived from the
                               randomised reference models of tools/make_reference.py
                               (Tests/Fixtures/reference/), with only lm_head.bias raised for
                               the blank and the word delimiter so that the greedy output looks
                               like CTC output (mostly blanks, words of a few characters)
                               instead of one endless word:
      stable_mask              from layer_stable_oddpos (layer-norm features, pre-LN, attention
                               mask, facebook vocabulary with <pad> = 0)
      group_nomask             from group_postln_evenpos (group-norm features, post-LN, no
                               attention mask, the guide's vocabulary with [PAD] last)
  expected.json                for each model and chunk setting, what
                               pipeline("automatic-speech-recognition", model=<model>,
                               chunk_length_s=..., stride_length_s=..., return_timestamps="word")
                               returns for {"raw": samples, "sampling_rate": 16000}, where
                               samples are the FLAC's int16 / 32768 in float32 (what libsndfile
                               gives asrc): "text" and "words" ([word, start s, end s]); the
                               unchunked transcript; and "boundaries": for several audio lengths
                               and settings, the chunks transformers' own chunk_iter yields
                               (start, length, left and right stride in samples, is_last) with the
                               chunk length and strides the pipeline's preprocess rounded, and
                               each chunk's stride in logits frames from rescale_stride.

How to run (by hand, not in CI), from the repository root, after tools/make_reference.py:

    pip install torch transformers safetensors numpy soundfile
    python3 tools/make_longform_reference.py

It prints what it wrote, each setting's transcript length and word count, and the versions.
"""

import json
import os
import shutil
import sys

import numpy as np
import soundfile
import torch
import transformers

from transformers import Wav2Vec2ForCTC, pipeline
from transformers.pipelines import automatic_speech_recognition as asr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import tone  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "Tests", "Fixtures", "reference")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "longform")
SR = 16000

# name, source reference model, bias added to the blank, bias added to the word delimiter
MODELS = [
    ("stable_mask", "layer_stable_oddpos", "<pad>", "|"),
    ("group_nomask", "group_postln_evenpos", "[PAD]", "|"),
]

# chunk_length_s, stride_length_s (None: the pipeline's default chunk / 6)
SETTINGS = [
    (10.0, None),  # default strides (1.667 s -> 83 frames each side), short last chunk
    (8.0, [2.0, 1.0]),  # asymmetric
    (6.0, [1.5, 0.5]),  # asymmetric, many chunks
    (5.01, [0.77, 1.23]),  # lengths that round to multiples of 320 samples
    (4.0, 0.0),  # no overlap at all
    (30.0, None),  # longer than the audio: one chunk
]

# extra settings and lengths for the chunk-boundary table (no model run needed)
BOUNDARY_SETTINGS = SETTINGS + [(1.0, [0.5, 0.2]), (0.1, [0.02, 0.0]), (2.0, 0.4)]


def boundary_lengths(chunk_len, step):
    lengths = {1, 399, 400, 401, 16000, chunk_len - 1, chunk_len, chunk_len + 1}
    for k in (1, 2, 5):
        lengths |= {chunk_len + k * step - 1, chunk_len + k * step, chunk_len + k * step + 1}
    return sorted(n for n in lengths if n > 0)


def quiet_tone(duration, seed, noise):
    """tools/make_reference.py's test tone, quieter: the feature extractor normalises, and FLAC
    stays small."""
    return tone(duration, seed, peak=0.12, noise=noise)


def make_audio():
    rng = np.random.default_rng(2024)
    parts = []
    for i in range(13):
        parts.append(quiet_tone(rng.uniform(0.8, 1.9), 500 + i, 0.0005))
        parts.append(0.0005 * rng.standard_normal(int(rng.uniform(0.1, 0.45) * SR)))
    x = np.concatenate(parts)
    n = 341927  # 21.37 s, not a whole number of 320-sample frames
    x = np.concatenate([x, np.zeros(max(0, n - len(x)))])[:n]
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def make_model(name, source, blank, delimiter, samples):
    """Copy a reference model and raise the blank's and delimiter's lm_head bias."""
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(os.path.join(REFERENCE, source), folder,
                    ignore=shutil.ignore_patterns("*.npy", "grads*", "expected.json"))
    model = Wav2Vec2ForCTC.from_pretrained(folder).eval()
    vocab = json.load(open(os.path.join(folder, "vocab.json")))
    with torch.no_grad():
        logits = model(torch.from_numpy(samples[None, : 8 * SR])).logits[0]
        spread = float(logits.std())
        # enough that about half the frames are blank and words are a few characters long
        model.lm_head.bias[vocab[blank]] += 1.2 * spread
        model.lm_head.bias[vocab[delimiter]] += 1.0 * spread
    model.save_pretrained(folder)
    return folder


def record_boundaries(folder):
    """The chunks transformers' chunk_iter yields, with the pipeline's own rounding."""
    pipe = pipeline("automatic-speech-recognition", model=folder, device="cpu")
    original = asr.chunk_iter
    table = []

    class Identity:
        sampling_rate = SR

        def __call__(self, chunk, **kwargs):
            return {"first": int(chunk[0]), "length": int(chunk.shape[0])}

    for chunk_s, stride_s in BOUNDARY_SETTINGS:
        captured = {}

        def capture(inputs, feature_extractor, chunk_len, stride_left, stride_right, dtype=None):
            captured.update(chunk_len=chunk_len, left=stride_left, right=stride_right)
            return iter(())

        asr.chunk_iter = capture
        try:
            list(pipe.preprocess(np.zeros(SR, dtype=np.float32), chunk_length_s=chunk_s, stride_length_s=stride_s))
        finally:
            asr.chunk_iter = original
        chunk_len, left, right = captured["chunk_len"], captured["left"], captured["right"]
        step = chunk_len - left - right
        cases = []
        for n in boundary_lengths(chunk_len, step):
            chunks = []
            for item in original(np.arange(n, dtype=np.int64), Identity(), chunk_len, left, right):
                stride = item["stride"]
                frames = asr.rescale_stride([stride], 1 / pipe._align_to)[0]
                chunks.append(dict(start=item["first"], length=item["length"], left=stride[1], right=stride[2],
                                   is_last=item["is_last"], frame_stride=list(frames)))
            cases.append(dict(samples=n, chunks=chunks))
        table.append(dict(chunk_length_s=chunk_s, stride_length_s=stride_s, chunk_length=chunk_len,
                          left_stride=left, right_stride=right, cases=cases))
    return table


def main():
    os.makedirs(OUT, exist_ok=True)
    pcm = make_audio()
    audio_path = os.path.join(OUT, "long.flac")
    soundfile.write(audio_path, pcm, SR, subtype="PCM_16", format="FLAC")
    samples, rate = soundfile.read(audio_path, dtype="float32")
    assert rate == SR and np.array_equal(samples, pcm.astype(np.float32) / np.float32(32768.0))
    expected = dict(
        audio=dict(file="long.flac", samples=len(samples), sampling_rate=SR),
        how=("pipeline('automatic-speech-recognition', model=<folder>, device='cpu')"
             "({'raw': samples, 'sampling_rate': 16000}, chunk_length_s=..., stride_length_s=...,"
             " return_timestamps='word'); samples = soundfile.read(long.flac, dtype='float32')"),
        versions=dict(transformers=transformers.__version__, torch=torch.__version__, numpy=np.__version__),
        models={},
    )
    for name, source, blank, delimiter in MODELS:
        folder = make_model(name, source, blank, delimiter, samples)
        pipe = pipeline("automatic-speech-recognition", model=folder, device="cpu")
        results = []
        for chunk_s, stride_s in SETTINGS:
            out = pipe({"raw": samples.copy(), "sampling_rate": SR}, chunk_length_s=chunk_s,
                       stride_length_s=stride_s, return_timestamps="word")
            words = [[c["text"], float(c["timestamp"][0]), float(c["timestamp"][1])] for c in out["chunks"]]
            results.append(dict(chunk_length_s=chunk_s, stride_length_s=stride_s, text=out["text"], words=words))
            print(f"{name} chunk {chunk_s} stride {stride_s}: {len(out['text'])} characters, {len(words)} words")
        whole = pipe({"raw": samples.copy(), "sampling_rate": SR})["text"]
        blanks = sum(c == " " for c in whole)
        assert len(whole) > 100 and blanks > 10, f"{name}: the transcript is too trivial to test with: {whole!r}"
        expected["models"][name] = dict(source=source, unchunked_text=whole, settings=results)
    expected["boundaries"] = record_boundaries(os.path.join(OUT, MODELS[0][0]))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    total = 0
    for base, _, files in os.walk(OUT):
        for file in files:
            total += os.path.getsize(os.path.join(base, file))
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {total / 1024:.0f} KiB; versions {expected['versions']}")


if __name__ == "__main__":
    main()
