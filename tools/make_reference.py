#!/usr/bin/env python3
"""Make the Wav2Vec2 reference fixtures under Tests/Fixtures/reference/.

What it makes (all deterministic, fixed seeds, CPU, float32 weights):

  audio/{a,b,c}.wav            3 mono 16 kHz 16-bit PCM clips (0.55 s, 1.0 s, 1.37 s):
                               sums of gliding sines plus a little noise.
  audio/input_values_{a,b,c}.npy
                               float32 output of Wav2Vec2FeatureExtractor (do_normalize=True)
                               for each clip alone: (x - mean) / sqrt(var + 1e-7) of the
                               samples int16 / 32768.0 (computed by numpy in float32).
  <model>/                     a tiny Hugging Face Wav2Vec2ForCTC folder (config.json,
                               model.safetensors, vocab.json, tokenizer and processor files),
                               every parameter randomised, for three variants:
      group_postln_evenpos     feat_extract_norm=group, post-LN, conv_bias False, pos conv k=16,
                               blog vocab ([PAD] = blank, last), no attention mask,
                               4.x-style preprocessor_config.json
      layer_stable_oddpos      feat_extract_norm=layer, stable (pre-LN), conv_bias True, pos conv
                               k=15, facebook vocab (<pad> = 0), attention mask, 5.x-style
                               processor_config.json, ctc_loss_reduction "sum"
      layer_postln_evenpos     feat_extract_norm=layer, post-LN, conv_bias True, pos conv k=8,
                               blog vocab, attention mask, 5.x-style processor_config.json,
                               legacy weight-norm key names (pos_conv_embed.conv.weight_g/_v)
  <model>/logits_{a,b,c}.npy   float32 [frames, vocab] logits for each clip alone
  <model>/extract_features_a.npy, <model>/last_hidden_state_a.npy
                               float32 intermediate outputs for clip a (conv stack output
                               [frames, conv_dim[-1]] and encoder output [frames, hidden])
  <model>/batch_logits.npy     float32 [3, T, vocab] logits of the padded batch (a, b, c)
  <model>/expected.json        frame counts, greedy transcripts, CTC batch case (labels, lengths,
                               losses for mean/sum x zero_infinity False/True, impossible-label
                               case) and a description of how each number was made.
  <model>/grads.safetensors    autograd gradients (float32, keyed by parameter name) of the CTC loss of
                               the padded batch with ctc.labels_padded, model.eval(), the config's
                               ctc_loss_reduction / ctc_zero_infinity; parameters without a gradient
                               are listed in expected.json "gradients"
  <model>/grads_frozen_feature_encoder.safetensors
                               the same after model.freeze_feature_encoder()
  <model>/grads_f64.safetensors
                               the same in float64 (model.double(), log_softmax in float64)

How to run (by hand, not in CI), from the repository root:

    pip install torch transformers safetensors numpy
    python3 tools/make_reference.py

It prints a summary of what it wrote.  It was last run with the versions recorded in each
expected.json ("versions").
"""

import json
import math
import os
import shutil
import sys
import wave

import numpy as np
import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import (
    Wav2Vec2Config,
    Wav2Vec2CTCTokenizer,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2Processor,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "reference")
SR = 16000

BLOG_VOCAB = list("abcdefghijklmnopqrstuvwxyz") + ["'", "|", "[UNK]", "[PAD]"]
FB_VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|"] + list("ETAONIHSRDLUMWCFGYPBVK'XJQZ")

AUDIO = [  # name, duration in seconds, seed
    ("a", 0.55, 101),
    ("b", 1.00, 102),
    ("c", 1.37, 103),
]

LABEL_TEXTS = ["the cat", "a big dog ran", "speech to text works"]

MODELS = [
    dict(
        name="group_postln_evenpos",
        seed=1,
        feat_extract_norm="group",
        do_stable_layer_norm=False,
        conv_bias=False,
        num_conv_pos_embeddings=16,
        vocab="blog",
        return_attention_mask=False,
        ctc_loss_reduction="mean",
        processor_layout="4.x preprocessor_config.json",
        legacy_weight_norm_names=False,
    ),
    dict(
        name="layer_stable_oddpos",
        seed=2,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        conv_bias=True,
        num_conv_pos_embeddings=15,
        vocab="facebook",
        return_attention_mask=True,
        ctc_loss_reduction="sum",
        processor_layout="5.x processor_config.json",
        legacy_weight_norm_names=False,
    ),
    dict(
        name="layer_postln_evenpos",
        seed=3,
        feat_extract_norm="layer",
        do_stable_layer_norm=False,
        conv_bias=True,
        num_conv_pos_embeddings=8,
        vocab="blog",
        return_attention_mask=True,
        ctc_loss_reduction="mean",
        processor_layout="5.x processor_config.json",
        legacy_weight_norm_names=True,
    ),
]

written = []


def rel(path):
    return os.path.relpath(path, ROOT)


def save_npy(path, arr):
    arr = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
    np.save(path, arr)
    written.append(path)


# --------------------------------------------------------------------------- audio


def tone(duration, seed, peak=0.45, noise=0.01):
    """Deterministic test tone as floats: three sines with gliding pitch, slow amplitude envelope,
    scaled to `peak`, plus `noise` times white noise."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * SR))
    t = np.arange(n) / SR
    x = np.zeros(n)
    for _ in range(3):
        f0 = rng.uniform(120.0, 900.0)
        f1 = f0 * rng.uniform(0.6, 1.6)
        # instantaneous frequency glides linearly from f0 to f1: phase = 2 pi integral f
        phase = 2 * np.pi * (f0 * t + 0.5 * (f1 - f0) * t * t / duration) + rng.uniform(0, 2 * np.pi)
        env = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(1.0, 4.0) * t + rng.uniform(0, 2 * np.pi))
        x += rng.uniform(0.5, 1.0) * env * np.sin(phase)
    x = peak * x / np.max(np.abs(x))
    return x + noise * rng.standard_normal(n)


def make_audio(duration, seed):
    """The test tone as 16-bit PCM."""
    x = tone(duration, seed)
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.astype("<i2").tobytes())
    written.append(path)


def read_wav_float(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == SR
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    # what libsndfile returns when reading 16-bit PCM as float: int16 / 32768
    return pcm.astype(np.float32) / np.float32(32768.0)


# --------------------------------------------------------------------------- models


def build_vocab(kind):
    tokens = BLOG_VOCAB if kind == "blog" else FB_VOCAB
    return {tok: i for i, tok in enumerate(tokens)}


def make_config(spec, vocab):
    pad = "[PAD]" if spec["vocab"] == "blog" else "<pad>"
    kw = dict(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        conv_stride=(5, 2, 2, 2, 2, 2, 2),
        conv_bias=spec["conv_bias"],
        feat_extract_norm=spec["feat_extract_norm"],
        do_stable_layer_norm=spec["do_stable_layer_norm"],
        num_conv_pos_embeddings=spec["num_conv_pos_embeddings"],
        num_conv_pos_embedding_groups=4,
        pad_token_id=vocab[pad],
        ctc_loss_reduction=spec["ctc_loss_reduction"],
        ctc_zero_infinity=False,
    )
    if spec["vocab"] == "facebook":
        kw.update(bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"])
    return Wav2Vec2Config(**kw)


def randomise(model, seed):
    """Give every parameter a distinct random value that keeps activations O(1)."""
    g = torch.Generator().manual_seed(seed * 1000 + 7)
    cfg = model.config
    seen = set()
    with torch.no_grad():
        for name, p in model.named_parameters():
            seen.add(name)
            shape = p.shape
            if name.endswith("masked_spec_embed"):
                new = torch.rand(shape, generator=g)
            elif "pos_conv_embed" in name and name.endswith("original0"):  # weight-norm g, [1, 1, k]
                k = cfg.num_conv_pos_embeddings
                in_per_group = cfg.hidden_size // cfg.num_conv_pos_embedding_groups
                # effective w[:, :, j] = g[j] * v[:, :, j] / ||v[:, :, j]||, so entries ~ g / sqrt(H * in_per_group);
                # choose g so that each output channel (sum over in_per_group * k taps) has variance ~1.
                base = math.sqrt(cfg.hidden_size / k)
                new = base * (0.5 + torch.rand(shape, generator=g))
                del in_per_group
            elif "pos_conv_embed" in name and name.endswith("original1"):  # weight-norm v
                new = torch.randn(shape, generator=g)
            elif name.endswith(".bias"):
                new = 0.1 * torch.randn(shape, generator=g)
            elif ("layer_norm" in name) and name.endswith(".weight"):  # LayerNorm / GroupNorm gains
                new = 1.0 + 0.2 * torch.randn(shape, generator=g)
            elif name.endswith(".weight") and p.dim() >= 2:
                fan_in = int(np.prod(shape[1:]))
                if "feature_extractor.conv_layers" in name:
                    gain = 1.6  # gelu after each conv; only the first (group) or every (layer) conv is normed
                elif name.startswith("lm_head"):
                    gain = 2.0
                else:
                    gain = 1.0
                new = gain / math.sqrt(fan_in) * torch.randn(shape, generator=g)
            else:
                raise RuntimeError(f"parameter not covered by randomise(): {name} {tuple(shape)}")
            p.copy_(new.to(p.dtype))
    # no two parameters may be equal (exporters merge identical tensors)
    params = [(n, p.detach().flatten()) for n, p in model.named_parameters()]
    for i in range(len(params)):
        for j in range(i + 1, len(params)):
            if params[i][1].shape == params[j][1].shape:
                assert not torch.equal(params[i][1], params[j][1]), (params[i][0], params[j][0])
    return sorted(seen)


def make_processor(spec, vocab, tmpdir):
    os.makedirs(tmpdir, exist_ok=True)
    vocab_path = os.path.join(tmpdir, "vocab.json")
    with open(vocab_path, "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    if spec["vocab"] == "blog":
        tok = Wav2Vec2CTCTokenizer(
            vocab_path, unk_token="[UNK]", pad_token="[PAD]", word_delimiter_token="|", do_lower_case=False
        )
    else:
        tok = Wav2Vec2CTCTokenizer(
            vocab_path,
            bos_token="<s>",
            eos_token="</s>",
            unk_token="<unk>",
            pad_token="<pad>",
            word_delimiter_token="|",
            do_lower_case=False,
        )
    fe = Wav2Vec2FeatureExtractor(
        feature_size=1,
        sampling_rate=SR,
        padding_value=0.0,
        do_normalize=True,
        return_attention_mask=spec["return_attention_mask"],
    )
    return Wav2Vec2Processor(feature_extractor=fe, tokenizer=tok)


def rewrite_as_4x_processor_layout(folder, fe):
    """transformers 4.x keeps the feature-extractor settings in preprocessor_config.json."""
    pc = os.path.join(folder, "processor_config.json")
    if os.path.exists(pc):
        with open(pc) as f:
            pcd = json.load(f)
        extra = {k: v for k, v in pcd.items() if k not in ("feature_extractor", "processor_class")}
        if extra:
            print(f"  note: processor_config.json had extra keys {sorted(extra)}; dropped for the 4.x layout")
        os.remove(pc)
    d = fe.to_dict()
    d["feature_extractor_type"] = "Wav2Vec2FeatureExtractor"
    d["processor_class"] = "Wav2Vec2Processor"
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(d, f, indent=2, sort_keys=True)
        f.write("\n")


def rename_to_legacy_weight_norm(folder):
    path = os.path.join(folder, "model.safetensors")
    sd = load_file(path)
    renamed = {}
    for k, v in sd.items():
        k2 = k.replace("pos_conv_embed.conv.parametrizations.weight.original0", "pos_conv_embed.conv.weight_g")
        k2 = k2.replace("pos_conv_embed.conv.parametrizations.weight.original1", "pos_conv_embed.conv.weight_v")
        renamed[k2] = v.contiguous()
    assert "wav2vec2.encoder.pos_conv_embed.conv.weight_g" in renamed
    assert "wav2vec2.encoder.pos_conv_embed.conv.weight_v" in renamed
    save_file(renamed, path, metadata={"format": "pt"})


# --------------------------------------------------------------------------- reference computations


def run_single(model, processor, x, use_mask):
    enc = processor(x, sampling_rate=SR, return_tensors="pt")
    kw = {}
    if use_mask:
        assert "attention_mask" in enc
        kw["attention_mask"] = enc["attention_mask"]
    else:
        assert "attention_mask" not in enc
    with torch.no_grad():
        out = model(enc["input_values"], **kw)
        inner = model.wav2vec2(enc["input_values"], **kw)
    return enc, out.logits[0], inner


def run_batch(model, processor, xs, use_mask, labels=None):
    enc = processor(xs, sampling_rate=SR, padding=True, return_tensors="pt")
    assert ("attention_mask" in enc) == use_mask
    kw = {}
    if use_mask:
        kw["attention_mask"] = enc["attention_mask"]
    if labels is not None:
        kw["labels"] = labels
    with torch.no_grad():
        out = model(enc["input_values"], **kw)
    return enc, out


def pad_labels(ids_list):
    """What DataCollatorCTCWithPadding does: pad with the tokenizer, then replace padding by -100."""
    n = max(len(ids) for ids in ids_list)
    return torch.tensor([ids + [-100] * (n - len(ids)) for ids in ids_list], dtype=torch.long)


def ctc_losses(model, processor, xs, use_mask, labels):
    res = {}
    saved = (model.config.ctc_loss_reduction, model.config.ctc_zero_infinity)
    for red in ("mean", "sum"):
        for zi in (False, True):
            model.config.ctc_loss_reduction = red
            model.config.ctc_zero_infinity = zi
            _, out = run_batch(model, processor, xs, use_mask, labels)
            v = out.loss.item()
            res[f"{red}_zero_infinity_{str(zi).lower()}"] = v if math.isfinite(v) else repr(v)
    model.config.ctc_loss_reduction, model.config.ctc_zero_infinity = saved
    return res


def impossible_text(n_chars):
    words = "the quick brown fox jumps over a lazy dog and keeps on running far away".split()
    s = ""
    i = 0
    while len(s) < n_chars:
        s = (s + " " + words[i % len(words)]).strip()
        i += 1
    s = s[:n_chars]
    if s.endswith(" "):
        s = s[:-1] + "x"
    return s


def greedy(processor, logits):
    ids = torch.argmax(logits, dim=-1)
    if ids.dim() == 1:
        ids = ids[None]
    return processor.batch_decode(ids)


def check_same(a, b, what):
    a = a.detach().cpu().numpy()
    b = b.detach().cpu().numpy()
    assert a.shape == b.shape, (what, a.shape, b.shape)
    d = float(np.max(np.abs(a - b))) if a.size else 0.0
    if d != 0.0:
        raise AssertionError(f"{what}: reloaded model differs, max abs diff {d}")


# --------------------------------------------------------------------------- gradients

F64_MODELS = ("group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos")  # every model also gets float64 gradients


def fresh_model(folder, reference_model):
    """Load the saved folder again (fresh parameters, no .grad) and check it equals the in-memory model."""
    m = Wav2Vec2ForCTC.from_pretrained(folder)
    m.eval()  # every dropout off; layerdrop and SpecAugment masking only act in training mode
    ref = dict(reference_model.named_parameters())
    got = dict(m.named_parameters())
    assert sorted(ref) == sorted(got), (sorted(set(ref) ^ set(got)))
    for k, v in got.items():
        assert v.grad is None and v.requires_grad, k
        assert torch.equal(v.detach(), ref[k].detach()), f"reloaded parameter differs: {k}"
    return m


def ctc_loss_like_hf(model, input_values, attention_mask, labels, log_softmax_dtype):
    """transformers 5.x Wav2Vec2ForCTC.forward + loss_ctc.ForCTCLoss, with the log_softmax dtype as a parameter
    (HF hard-codes float32; the float64 variant keeps everything in float64)."""
    out = model(input_values, attention_mask=attention_mask)
    logits = out.logits
    am = attention_mask if attention_mask is not None else torch.ones_like(input_values, dtype=torch.long)
    input_lengths = model._get_feat_extract_output_lengths(am.sum(-1)).to(torch.long)
    blank = model.config.pad_token_id
    labels_mask = (labels != -100) & (labels != blank)
    target_lengths = labels_mask.sum(-1)
    flat = labels.masked_select(labels_mask)
    lp = torch.nn.functional.log_softmax(logits, dim=-1, dtype=log_softmax_dtype).transpose(0, 1)
    loss = torch.nn.functional.ctc_loss(
        lp,
        flat,
        input_lengths,
        target_lengths,
        blank=blank,
        reduction=model.config.ctc_loss_reduction,
        zero_infinity=model.config.ctc_zero_infinity,
    )
    return loss, logits


def collect_grads(model):
    grads, none = {}, []
    for k, p in model.named_parameters():
        if p.grad is None:
            none.append(k)
        else:
            grads[k] = p.grad.detach().clone().contiguous()
    return grads, sorted(none)


def global_norm(grads):
    return math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads.values()))


def save_grads(path, grads, dtype):
    save_file({k: v.to(dtype).contiguous() for k, v in sorted(grads.items())}, path, metadata={"format": "pt"})
    written.append(path)


def make_gradients(model, folder, spec, enc, use_mask, labels, losses):
    """Autograd gradients of the CTC loss of the padded batch (a, b, c) w.r.t. every parameter."""
    name = spec["name"]
    cfg = model.config
    red, zi = cfg.ctc_loss_reduction, cfg.ctc_zero_infinity
    assert red == spec["ctc_loss_reduction"] and zi is False
    iv = enc["input_values"]
    am = enc["attention_mask"] if use_mask else None
    assert iv.dtype == torch.float32
    kw = {"attention_mask": am} if use_mask else {}
    res = {
        "reduction": red,
        "zero_infinity": zi,
        "labels": "ctc.labels_padded (-100 padded)",
        "attention_mask_passed": use_mask,
        "key_names": "model.named_parameters() / state_dict names of the loaded model, i.e. weight norm as "
        "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0 (g, [1, 1, k]) and "
        ".original1 (v, [H, H / groups, k])"
        + (
            "; NOTE this folder's model.safetensors stores them under the legacy names pos_conv_embed.conv.weight_g / "
            "weight_v, the gradient files use the parametrizations names"
            if spec["legacy_weight_norm_names"]
            else ""
        ),
    }

    # ---- float32, full model
    m = fresh_model(folder, model)
    assert (m.config.ctc_loss_reduction, m.config.ctc_zero_infinity) == (red, zi)
    m.zero_grad(set_to_none=True)
    out = m(iv, labels=labels, **kw)
    loss = out.loss
    loss.backward()
    g32, none32 = collect_grads(m)
    loss32 = loss.item()
    stored = losses[f"{red}_zero_infinity_{str(zi).lower()}"]
    assert loss32 == stored, (loss32, stored)
    # the hand-written copy of the HF loss (used for float64 below) reproduces the HF path bit for bit in float32
    mc = fresh_model(folder, model)
    lc, _ = ctc_loss_like_hf(mc, iv, am, labels, torch.float32)
    lc.backward()
    gc, nonec = collect_grads(mc)
    assert lc.item() == loss32 and nonec == none32
    copy_diff = max(float((gc[k] - g32[k]).abs().max()) for k in g32)
    assert copy_diff == 0.0, f"hand-written CTC loss gradients differ from the HF path: {copy_diff}"
    del mc, gc
    path = os.path.join(folder, "grads.safetensors")
    save_grads(path, g32, torch.float32)
    res["float32"] = {
        "file": "grads.safetensors",
        "dtype": "float32",
        "loss": loss32,
        "loss_equals_ctc_losses_entry": f"{red}_zero_infinity_{str(zi).lower()}",
        "num_tensors": len(g32),
        "no_grad_parameters": none32,
        "global_l2_norm": global_norm(g32),
        "max_abs_grad": max(float(g.abs().max()) for g in g32.values()),
    }

    # ---- float32, feature encoder frozen
    mf = fresh_model(folder, model)
    mf.freeze_feature_encoder()
    mf.zero_grad(set_to_none=True)
    outf = mf(iv, labels=labels, **kw)
    outf.loss.backward()
    gf, nonef = collect_grads(mf)
    lossf = outf.loss.item()
    assert all(k.startswith("wav2vec2.feature_extractor.") or k in none32 for k in nonef)
    path = os.path.join(folder, "grads_frozen_feature_encoder.safetensors")
    save_grads(path, gf, torch.float32)
    res["float32_frozen_feature_encoder"] = {
        "file": "grads_frozen_feature_encoder.safetensors",
        "dtype": "float32",
        "loss": lossf,
        "num_tensors": len(gf),
        "no_grad_parameters": nonef,
        "global_l2_norm": global_norm(gf),
        "max_abs_diff_vs_full_grads_on_shared_keys": max(float((gf[k] - g32[k]).abs().max()) for k in gf),
    }
    del mf

    # ---- float64 (every model)
    if name in F64_MODELS:
        m64 = fresh_model(folder, model).double()
        m64.zero_grad(set_to_none=True)
        l64, logits64 = ctc_loss_like_hf(m64, iv.double(), am, labels, torch.float64)
        assert logits64.dtype == torch.float64
        l64.backward()
        g64, none64 = collect_grads(m64)
        assert none64 == none32 and all(g.dtype == torch.float64 for g in g64.values())
        # HF's own forward on the float64 model (its ForCTCLoss casts log_softmax to float32)
        m64.zero_grad(set_to_none=True)
        with torch.no_grad():
            hf64 = m64(iv.double(), labels=labels, **kw).loss
        path = os.path.join(folder, "grads_f64.safetensors")
        save_grads(path, g64, torch.float64)
        d = {k: (g32[k].double() - g64[k]) for k in g64}
        # central finite differences on a few single entries, float64
        fd = []
        probe = [
            ("lm_head.weight", 0),
            ("lm_head.bias", 1),
            ("wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0", 3),
            ("wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1", 5),
            ("wav2vec2.encoder.layers.0.attention.q_proj.weight", 7),
            ("wav2vec2.feature_projection.layer_norm.weight", 2),
            ("wav2vec2.feature_extractor.conv_layers.0.conv.weight", 4),
            ("wav2vec2.feature_extractor.conv_layers.6.conv.weight", 11),
        ]
        params = dict(m64.named_parameters())
        eps = 1e-6
        with torch.no_grad():
            for k, idx in probe:
                flat = params[k].view(-1)
                old = flat[idx].item()
                flat[idx] = old + eps
                lp_, _ = ctc_loss_like_hf(m64, iv.double(), am, labels, torch.float64)
                flat[idx] = old - eps
                lm_, _ = ctc_loss_like_hf(m64, iv.double(), am, labels, torch.float64)
                flat[idx] = old
                num = (lp_.item() - lm_.item()) / (2 * eps)
                ana = float(g64[k].view(-1)[idx])
                fd.append({"parameter": k, "flat_index": idx, "autograd": ana, "central_difference": num})
        res["float64"] = {
            "file": "grads_f64.safetensors",
            "dtype": "float64",
            "loss": l64.item(),
            "hf_forward_loss_on_float64_model": hf64.item(),
            "hf_forward_loss_note": "model(input_values.double(), labels=...).loss: transformers' ForCTCLoss "
            "computes log_softmax(dtype=torch.float32), so this is NOT a float64 loss; grads_f64 and 'loss' use "
            "log_softmax in float64 instead (everything else identical to the HF path)",
            "num_tensors": len(g64),
            "no_grad_parameters": none64,
            "global_l2_norm": global_norm(g64),
            "float32_vs_float64": {
                "loss_abs_diff": abs(loss32 - l64.item()),
                "global_l2_norm_of_difference": math.sqrt(sum(float((v**2).sum()) for v in d.values())),
                "relative_global_difference": math.sqrt(sum(float((v**2).sum()) for v in d.values()))
                / global_norm(g64),
                "max_abs_diff": max(float(v.abs().max()) for v in d.values()),
            },
            "finite_difference_check": {"eps": eps, "probes": fd},
        }
        del m64

    res["how_made"] = (
        "Batch = processor([a, b, c], sampling_rate=16000, padding=True, return_tensors='pt') exactly as "
        "batch_logits.npy"
        + (", attention_mask passed" if use_mask else ", no attention mask (none returned; every row gets CTC input length T)")
        + "; labels = ctc.labels_padded. For each variant the model is loaded fresh with "
        "Wav2Vec2ForCTC.from_pretrained(<this folder>) (parameters checked equal to the generating model), put in "
        "model.eval() (all dropout off, no layerdrop, no SpecAugment masking; there is no batch norm, so this equals "
        "train mode with every dropout probability 0), then loss = model(input_values, [attention_mask,] "
        "labels=labels).loss with this config's ctc_loss_reduction and ctc_zero_infinity, loss.backward(); "
        "CPU, 1 thread, torch.use_deterministic_algorithms(True). Each file holds p.grad for every parameter whose "
        ".grad is not None, keyed by its named_parameters() name, float32. no_grad_parameters: parameters whose "
        ".grad stays None (masked_spec_embed is only used by SpecAugment in training). "
        "grads_frozen_feature_encoder: same after model.freeze_feature_encoder() (requires_grad False on "
        "wav2vec2.feature_extractor.*, i.e. the conv stack; feature_projection still trains). "
        + (
            "grads_f64: model.double(), input_values.double(), same mask and labels, and the CTC loss written out "
            "as transformers' ForCTCLoss but with log_softmax in float64 (HF forces float32 there); its float32 twin "
            "was checked to give bit-identical loss and gradients to the HF path. global_l2_norm = sqrt(sum of "
            "squares of all gradient entries), accumulated in float64."
            if name in F64_MODELS
            else "global_l2_norm = sqrt(sum of squares of all gradient entries), accumulated in float64."
        )
    )
    return res


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(os.path.join(OUT, "audio"))

    # ---- audio
    xs, names = [], []
    for name, dur, seed in AUDIO:
        path = os.path.join(OUT, "audio", f"{name}.wav")
        write_wav(path, make_audio(dur, seed))
        xs.append(read_wav_float(path))
        names.append(name)
    fe_plain = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=True)
    for name, x in zip(names, xs):
        iv = fe_plain(x, sampling_rate=SR, return_tensors="np")["input_values"][0]
        save_npy(os.path.join(OUT, "audio", f"input_values_{name}.npy"), iv)

    versions = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }
    summary = []

    for spec in MODELS:
        name = spec["name"]
        folder = os.path.join(OUT, name)
        print(f"== {name}")
        torch.manual_seed(spec["seed"])
        vocab = build_vocab(spec["vocab"])
        config = make_config(spec, vocab)
        model = Wav2Vec2ForCTC(config)
        randomise(model, spec["seed"])
        model.eval()
        processor = make_processor(spec, vocab, folder)
        use_mask = spec["return_attention_mask"]

        model.save_pretrained(folder, safe_serialization=True)
        processor.save_pretrained(folder)
        files_after_save = sorted(os.listdir(folder))
        if spec["processor_layout"].startswith("4.x"):
            rewrite_as_4x_processor_layout(folder, processor.feature_extractor)
        if spec["legacy_weight_norm_names"]:
            rename_to_legacy_weight_norm(folder)

        # ---- single files
        singles = {}
        for fname, x in zip(names, xs):
            enc, logits, inner = run_single(model, processor, x, use_mask)
            save_npy(os.path.join(folder, f"logits_{fname}.npy"), logits.numpy())
            if fname == "a":
                save_npy(os.path.join(folder, "extract_features_a.npy"), inner.extract_features[0].numpy())
                save_npy(os.path.join(folder, "last_hidden_state_a.npy"), inner.last_hidden_state[0].numpy())
            n_frames = int(logits.shape[0])
            assert n_frames == int(model._get_feat_extract_output_lengths(torch.tensor(len(x))).item())
            singles[fname] = dict(
                samples=len(x),
                frames=n_frames,
                greedy_ids=torch.argmax(logits, -1).tolist(),
                greedy_transcript=greedy(processor, logits)[0],
                max_abs_logit=float(logits.abs().max()),
            )

        # ---- padded batch
        enc, out = run_batch(model, processor, xs, use_mask)
        batch_logits = out.logits
        save_npy(os.path.join(folder, "batch_logits.npy"), batch_logits.numpy())
        T = int(batch_logits.shape[1])
        if use_mask:
            hf_lengths = model._get_feat_extract_output_lengths(enc["attention_mask"].sum(-1)).tolist()
        else:
            hf_lengths = [int(model._get_feat_extract_output_lengths(torch.tensor(enc["input_values"].shape[1])))] * 3
        valid_frames = [singles[n]["frames"] for n in names]
        batch_greedy_full = greedy(processor, batch_logits)
        batch_greedy_valid = [greedy(processor, batch_logits[i, : valid_frames[i]])[0] for i in range(3)]
        # rows of masked models must match the single-file logits on their valid frames
        row_vs_single = []
        for i, n in enumerate(names):
            single = np.load(os.path.join(folder, f"logits_{n}.npy"))
            row_vs_single.append(float(np.max(np.abs(batch_logits[i, : valid_frames[i]].numpy() - single))))

        # ---- CTC
        texts = LABEL_TEXTS if spec["vocab"] == "blog" else [t.upper() for t in LABEL_TEXTS]
        label_ids = [processor.tokenizer(t).input_ids for t in texts]
        for t, ids, nf in zip(texts, label_ids, valid_frames):
            assert len(ids) == len(t) and len(ids) < nf, (t, ids, nf)
            assert processor.tokenizer.decode(ids, group_tokens=False) == t
        labels = pad_labels(label_ids)
        losses = ctc_losses(model, processor, xs, use_mask, labels)
        per_sample = {}
        with torch.no_grad():
            lp = torch.log_softmax(batch_logits.float(), -1).transpose(0, 1)
            tl = torch.tensor([len(i) for i in label_ids])
            per_sample = torch.nn.functional.ctc_loss(
                lp, labels.clamp(min=0), torch.tensor(hf_lengths), tl, blank=config.pad_token_id, reduction="none"
            ).tolist()

        imp_len = hf_lengths[0] + 3
        imp_texts = [impossible_text(imp_len)] + texts[1:]
        if spec["vocab"] == "facebook":
            imp_texts[0] = imp_texts[0].upper()
        imp_ids = [processor.tokenizer(t).input_ids for t in imp_texts]
        assert len(imp_ids[0]) == imp_len > hf_lengths[0]
        imp_labels = pad_labels(imp_ids)
        imp_losses = ctc_losses(model, processor, xs, use_mask, imp_labels)

        # ---- reload both folders and compare
        p2 = Wav2Vec2Processor.from_pretrained(folder)
        m2, info = Wav2Vec2ForCTC.from_pretrained(folder, output_loading_info=True)
        m2.eval()
        bad = {k: v for k, v in info.items() if v and k != "error_msgs"} if isinstance(info, dict) else {}
        assert not bad and not info.get("error_msgs"), f"loading info not clean: {info}"
        assert p2.feature_extractor.return_attention_mask == use_mask
        assert p2.tokenizer.get_vocab() == processor.tokenizer.get_vocab() or all(
            p2.tokenizer.convert_tokens_to_ids(k) == v for k, v in vocab.items()
        )
        for fname, x in zip(names, xs):
            e1 = processor(x, sampling_rate=SR, return_tensors="pt")
            e2 = p2(x, sampling_rate=SR, return_tensors="pt")
            assert set(e1.keys()) == set(e2.keys())
            check_same(e1["input_values"], e2["input_values"], f"{name}/{fname} input_values")
            _, l2, _ = run_single(m2, p2, x, use_mask)
            check_same(torch.from_numpy(np.load(os.path.join(folder, f"logits_{fname}.npy"))), l2, f"{name}/{fname}")
        _, out2 = run_batch(m2, p2, xs, use_mask, labels)
        check_same(batch_logits, out2.logits, f"{name}/batch")
        m2.config.ctc_loss_reduction = model.config.ctc_loss_reduction
        assert out2.loss.item() == losses[f"{model.config.ctc_loss_reduction}_zero_infinity_false"]
        reload_note = "reloaded folder gives bit-identical logits and loss"

        folder_files = sorted(os.listdir(folder))
        st_keys = sorted(load_file(os.path.join(folder, "model.safetensors")).keys())
        pos_keys = [k for k in st_keys if "pos_conv_embed" in k]

        expected = {
            "model": name,
            "versions": versions,
            "variant": {k: v for k, v in spec.items() if k not in ("name", "seed")},
            "vocab_size": len(vocab),
            "blank_id": config.pad_token_id,
            "folder_files_after_save_pretrained": files_after_save,
            "folder_files": folder_files,
            "pos_conv_safetensors_keys": pos_keys,
            "reload_check": reload_note,
            "audio": {
                n: dict(file=f"audio/{n}.wav", logits=f"logits_{n}.npy", **singles[n]) for n in names
            },
            "batch": {
                "order": names,
                "padded_samples": int(enc["input_values"].shape[1]),
                "attention_mask_returned": use_mask,
                "attention_mask_passed": use_mask,
                "logits": "batch_logits.npy",
                "logits_frames": T,
                "valid_frames_per_row": valid_frames,
                "hf_ctc_input_lengths": hf_lengths,
                "greedy_transcripts_full_rows": batch_greedy_full,
                "greedy_transcripts_valid_frames": batch_greedy_valid,
                "max_abs_diff_row_valid_frames_vs_single": row_vs_single,
                "max_abs_logit": float(batch_logits.abs().max()),
                "input_values_rows": [
                    {
                        "first": float(iv[0]),
                        "last_real": float(iv[n - 1]),
                        "first_padding": float(iv[n]) if n < len(iv) else None,
                        "sum_float64": float(iv.astype(np.float64).sum()),
                        "max_abs_diff_vs_single_file": float(
                            np.abs(iv[:n] - np.load(os.path.join(OUT, "audio", f"input_values_{nm}.npy"))).max()
                        ),
                    }
                    for nm, n, iv in zip(names, [len(x) for x in xs], enc["input_values"].numpy())
                ],
            },
            "ctc": {
                "label_texts": texts,
                "label_ids_unpadded": label_ids,
                "labels_padded": labels.tolist(),
                "target_lengths": [len(i) for i in label_ids],
                "input_lengths": hf_lengths,
                "blank": config.pad_token_id,
                "losses": losses,
                "per_sample_losses_reduction_none": per_sample,
                "impossible": {
                    "label_texts": imp_texts,
                    "labels_padded": imp_labels.tolist(),
                    "target_lengths": [len(i) for i in imp_ids],
                    "input_lengths": hf_lengths,
                    "impossible_row": 0,
                    "losses": imp_losses,
                },
            },
            "max_abs_logit": max(max(s["max_abs_logit"] for s in singles.values()), float(batch_logits.abs().max())),
            "how_made": {
                "samples": "float32(int16) / 32768.0 of the WAV samples (libsndfile float read)",
                "input_values": "Wav2Vec2FeatureExtractor: (x - mean) / sqrt(var + 1e-7), population variance, "
                "numpy float32. Padded batch: with return_attention_mask True each row is normalised over its own "
                "length and its padding set to 0.0; with return_attention_mask False (group model) the raw rows are "
                "zero-padded FIRST and then normalised over the whole padded length, so the padding becomes "
                "-mean/std (not 0) and the real samples differ from the single-file input_values "
                "(see batch.input_values_rows)",
                "audio.*.frames": "floor over the conv stack: L = floor((L - k) / s) + 1 for (k, s) in "
                "zip((10,3,3,3,3,2,2), (5,2,2,2,2,2,2)) == rows of logits_<x>.npy",
                "logits_<x>.npy": "model.eval()(processor(x, sampling_rate=16000, return_tensors='pt')), "
                + ("attention_mask passed (all ones)" if use_mask else "no attention_mask (extractor returns none)")
                + "; float32 [frames, vocab]",
                "extract_features_a.npy": "model.wav2vec2(...).extract_features for clip a: conv stack output "
                "transposed to [frames, conv_dim], before feature_projection's LayerNorm",
                "last_hidden_state_a.npy": "model.wav2vec2(...).last_hidden_state for clip a (input of lm_head)",
                "greedy_transcript": "processor.batch_decode(argmax(logits, -1)): group repeats, drop blank, '|' -> ' '",
                "batch_logits.npy": "processor([a, b, c], sampling_rate=16000, padding=True, return_tensors='pt') -> "
                + ("input_values + attention_mask" if use_mask else "input_values only (no attention mask)")
                + "; float32 [3, T, vocab]; rows include logits for padded frames",
                "greedy_transcripts_full_rows": "processor.batch_decode(argmax(batch_logits, -1)) over all T frames",
                "greedy_transcripts_valid_frames": "same, each row cut to its own single-file frame count",
                "hf_ctc_input_lengths": "Wav2Vec2ForCTC.forward: _get_feat_extract_output_lengths(attention_mask.sum(-1)); "
                "without an attention mask it uses torch.ones_like(input_values), i.e. every row gets the padded length T",
                "labels_padded": "tokenizer(text).input_ids (spaces -> '|'), right-padded with -100 (DataCollatorCTCWithPadding)",
                "target_lengths": "count of labels that are neither -100 nor the blank id (transformers 5.x loss_ctc.ForCTCLoss)",
                "losses": "model(input_values, [attention_mask,] labels=labels).loss.item() with config.ctc_loss_reduction "
                "in (mean, sum) and config.ctc_zero_infinity in (False, True); = torch ctc_loss on log_softmax(logits) "
                "in float32, blank = pad_token_id; 'mean' divides each row by its target length, then averages over the batch",
                "per_sample_losses_reduction_none": "torch.nn.functional.ctc_loss(reduction='none') on the same inputs",
                "impossible": "row 0's label is its CTC input length + 3 characters long; with zero_infinity False the loss "
                "is inf (stored as the string 'inf'); with True row 0 contributes 0 (and still counts in the batch mean)",
            },
        }
        # ---- gradients (added after everything above; files are not in folder_files)
        expected["gradients"] = make_gradients(model, folder, spec, enc, use_mask, labels, losses)
        grad_summary = expected["gradients"]

        path = os.path.join(folder, "expected.json")
        with open(path, "w") as f:
            json.dump(expected, f, indent=1, ensure_ascii=False)
            f.write("\n")
        written.append(path)
        for fn in folder_files:
            p = os.path.join(folder, fn)
            if p not in written:
                written.append(p)
        summary.append((name, folder_files, expected["max_abs_logit"], losses, imp_losses, hf_lengths))
        print(f"  files: {folder_files}")
        print(f"  pos conv keys in model.safetensors: {pos_keys}")
        print(f"  frames a/b/c: {valid_frames}  batch T={T}  HF CTC input lengths: {hf_lengths}")
        print(f"  greedy single: {[singles[n]['greedy_transcript'] for n in names]}")
        print(f"  greedy batch (full rows): {batch_greedy_full}")
        print(f"  max |batch row - single| on valid frames: {row_vs_single}")
        print(f"  max abs logit: {expected['max_abs_logit']:.4f}")
        print(f"  CTC losses: {losses}")
        print(f"  impossible-label losses: {imp_losses}")
        print(f"  {reload_note}")
        for var in ("float32", "float32_frozen_feature_encoder", "float64"):
            if var in grad_summary:
                gs = grad_summary[var]
                print(
                    f"  grads {var}: {gs['file']} loss={gs['loss']!r} global_l2_norm={gs['global_l2_norm']!r} "
                    f"no_grad={gs['no_grad_parameters']}"
                )

    total = sum(os.path.getsize(p) for p in written)
    print(f"== wrote {len(written)} files, {total} bytes, under {rel(OUT)}:")
    for p in sorted(set(written)):
        print(f"  {rel(p):70s} {os.path.getsize(p):8d}")


if __name__ == "__main__":
    main()
