#!/usr/bin/env python3
"""Make the long-clip gradient fixtures under Tests/Fixtures/long/.

The reference fixtures of tools/make_reference.py use clips of 0.5-1.4 s, where float32
rounding in long reductions cannot show.  These fixtures use realistic lengths, so that the
error asrc's float32 gradients carry against exact (float64) gradients is measured where it
grows: the group norm over every frame of the first convolution, weight and bias gradients
summed over thousands of frames.

What it makes (deterministic: CPU, 1 thread, fixed seeds):

  audio/long.wav             one mono 16 kHz 16-bit PCM clip of 10 s (tools/make_reference.py's
                             test-tone generator: gliding sines, envelope, a little noise).
                             The clips are cut from it: "3s" = its first 48,000 samples, "10s" =
                             all of it, "30s" = it three times in a row.
  <model>/<clip>.safetensors float64 autograd gradients of the CTC loss (one clip, batch 1),
                             keyed by parameter name, for the models
                             Tests/Fixtures/reference/group_postln_evenpos (group norm over the
                             first convolution's frames, post-LN) and
                             Tests/Fixtures/reference/layer_stable_oddpos (layer norms, pre-LN,
                             attention mask, ctc_loss_reduction "sum").
  expected.json              per model and clip: the label text and ids, the float64 loss, the
                             float32 loss of transformers' own forward, and for every parameter
                             tensor the relative L2 error of PyTorch float32 autograd against
                             float64 autograd (||g32 - g64|| / ||g64||), the figure asrc's
                             gradients are held to.

The float64 gradients come from model.double() with the loss written out as transformers'
ForCTCLoss but with log_softmax in float64 (transformers forces float32 there); the float32 ones
from transformers' own forward (model(input_values, labels=...).loss).  model.eval(): no dropout,
no SpecAugment, no LayerDrop.

How to run (by hand, not in CI), from the repository root:

    pip install torch transformers safetensors numpy
    python3 tools/make_long_reference.py
"""

import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import Wav2Vec2ForCTC, Wav2Vec2Processor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import ctc_loss_like_hf, make_audio, read_wav_float, write_wav  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "Tests", "Fixtures", "reference")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "long")
SR = 16000

MODELS = ["group_postln_evenpos", "layer_stable_oddpos"]
CLIPS = {"3s": (0, 48000, 1), "10s": (0, 160000, 1), "30s": (0, 160000, 3)}  # start, end, repeats
WORDS = "the quick brown fox jumps over a lazy dog while seven bold pilots fly far west".split()


def clip(samples, name):
    start, end, repeats = CLIPS[name]
    return np.concatenate([samples[start:end]] * repeats)


def label_text(seconds):
    """About eight characters a second, as read speech has."""
    n = int(8 * seconds)
    text, i = "", 0
    while len(text) < n:
        text = (text + " " + WORDS[i % len(WORDS)]).strip()
        i += 1
    return text


def parameter_gradients(model):
    return {k: p.grad.detach().clone() for k, p in model.named_parameters() if p.grad is not None}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(os.path.join(OUT, "audio"))
    path = os.path.join(OUT, "audio", "long.wav")
    write_wav(path, make_audio(10.0, 110))
    samples = read_wav_float(path)

    expected = {
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__},
        "clips": {k: {"start": v[0], "end": v[1], "repeats": v[2]} for k, v in CLIPS.items()},
        "models": {},
    }
    for name in MODELS:
        folder = os.path.join(REFERENCE, name)
        processor = Wav2Vec2Processor.from_pretrained(folder)
        os.makedirs(os.path.join(OUT, name))
        per_clip = {}
        for clip_name in CLIPS:
            x = clip(samples, clip_name)
            enc = processor(x, sampling_rate=SR, return_tensors="pt")
            mask = enc.get("attention_mask")
            text = label_text(len(x) / SR)
            ids = processor.tokenizer(text).input_ids
            labels = torch.tensor([ids], dtype=torch.long)

            m32 = Wav2Vec2ForCTC.from_pretrained(folder).eval()
            loss32 = m32(enc["input_values"], attention_mask=mask, labels=labels).loss
            loss32.backward()
            g32 = parameter_gradients(m32)

            m64 = Wav2Vec2ForCTC.from_pretrained(folder).eval().double()
            loss64, _ = ctc_loss_like_hf(m64, enc["input_values"].double(), mask, labels, torch.float64)
            loss64.backward()
            g64 = parameter_gradients(m64)
            assert sorted(g32) == sorted(g64)

            # Tensors whose exact gradient vanishes (attention key biases: softmax ignores a shift of
            # every score) have no relative error; they are listed as null.
            global_norm = math.sqrt(sum(float((g**2).sum()) for g in g64.values()))
            errors = {}
            for k in sorted(g64):
                norm = float(g64[k].norm())
                errors[k] = float((g32[k].double() - g64[k]).norm()) / norm if norm > 1e-9 * global_norm else None
            save_file({k: v.contiguous() for k, v in sorted(g64.items())}, os.path.join(OUT, name, f"{clip_name}.safetensors"))
            finite = [e for e in errors.values() if e is not None]
            per_clip[clip_name] = {
                "samples": len(x),
                "text": text,
                "labels": ids,
                "loss_float64": loss64.item(),
                "loss_float32_transformers": loss32.item(),
                "global_l2_norm_float64": global_norm,
                "torch_float32_relative_l2_error": errors,
                "torch_float32_worst_relative_l2_error": max(finite),
            }
            print(f"{name} {clip_name}: loss {loss64.item():.6f}, PyTorch float32 worst relative L2 error {max(finite):.3g}")
        expected["models"][name] = per_clip
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
