#!/usr/bin/env python3
"""Make the Hugging Face Trainer fine-tuning reference under Tests/Fixtures/trainer/.

A few optimizer steps of `transformers.Trainer` CTC fine-tuning, set up the way the Hugging Face
Wav2Vec2 fine-tuning guide does it (processor(audio).input_values[0] per utterance,
processor(text=...).input_ids, DataCollatorCTCWithPadding, Trainer with AdamW + linear warmup
schedule), recorded so that asrc's own trainer can prove parity step by step.

What it makes (deterministic: CPU, 1 thread, torch.use_deterministic_algorithms(True), seed 0):

  initial/                 complete Hugging Face folder (save_pretrained of model and processor) of
                           Tests/Fixtures/reference/group_postln_evenpos with every dropout and
                           layerdrop 0.0, mask_time_prob 0.0 (no SpecAugment, so no
                           masked_spec_embed parameter), ctc_loss_reduction "mean",
                           ctc_zero_infinity True.  Training starts from this saved folder.
  audio/{a,b,c}.wav        copies of Tests/Fixtures/reference/audio/{a,b,c}.wav
  audio/{d,e,f}.wav        3 more 16 kHz 16-bit mono synthetic clips (same generator as
                           tools/make_reference.py: gliding sines + envelope + a little noise)
  train.csv                path,text (paths relative to the csv's folder), in training order
  final.safetensors        trainer.model.state_dict() after the last step (float32, HF names)
  expected.json            versions, arguments, sampler, batch composition per step, per-step
                           loss / learning rate / grad norm / epoch, log_history, weight-decay
                           parameter groups, notes on the Trainer's behaviour
  initial_state_check.json loss of the initial model on the first batch (eval mode, no grad)

How to run (by hand, not in CI), from the repository root:

    pip install torch transformers accelerate safetensors numpy
    python3 tools/make_trainer_reference.py

Run it twice and compare `md5sum Tests/Fixtures/trainer/final.safetensors`: it must not change
(expected.json differs only in the timing fields of the last log_history entry).  It was last run
with the versions recorded in expected.json ("versions").
"""

import csv
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import wave
from dataclasses import dataclass

import numpy as np
import torch

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

import accelerate  # noqa: E402  (the Trainer needs it; imported to record its version)
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (  # noqa: E402
    Trainer,
    TrainerCallback,
    TrainingArguments,
    Wav2Vec2ForCTC,
    Wav2Vec2Processor,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(ROOT, "Tests", "Fixtures", "reference")
SRC_MODEL = os.path.join(REF, "group_postln_evenpos")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "trainer")
SR = 16000

NEW_AUDIO = [  # name, duration in seconds, seed (same generator as tools/make_reference.py)
    ("d", 0.80, 201),
    ("e", 1.15, 202),
    ("f", 0.95, 203),
]

# Training order (csv row order).  Batches of 2 with a sequential sampler: (a,d) (b,e) (c,f).
ROWS = [
    ("a", "hi there"),
    ("d", "it's ok"),
    ("b", "we can't go"),
    ("e", "a big red dog"),
    ("c", "she sells sea shells"),
    ("f", "good job"),
]

CONFIG_OVERRIDES = dict(
    hidden_dropout=0.0,
    activation_dropout=0.0,
    attention_dropout=0.0,
    feat_proj_dropout=0.0,
    final_dropout=0.0,
    layerdrop=0.0,
    mask_time_prob=0.0,
    ctc_loss_reduction="mean",
    ctc_zero_infinity=True,
)

TRAINING_ARGS = dict(
    per_device_train_batch_size=2,
    learning_rate=1e-3,
    weight_decay=0.005,
    adam_beta1=0.9,
    adam_beta2=0.999,
    adam_epsilon=1e-8,
    warmup_steps=2,
    lr_scheduler_type="linear",
    max_grad_norm=1.0,
    num_train_epochs=2,
    logging_steps=1,
    save_strategy="no",
    eval_strategy="no",
    seed=0,
    fp16=False,
    gradient_checkpointing=False,
    report_to=[],
    use_cpu=True,
    dataloader_num_workers=0,
)

# --------------------------------------------------------------------------- audio


# The same deterministic test tone as the reference fixtures.
from make_reference import make_audio  # noqa: E402  (tools/ is on sys.path when run as a script)


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.astype("<i2").tobytes())


def read_wav_float(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == SR
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / np.float32(32768.0)  # int16 / 32768, as libsndfile reads it


def frames_for(n):
    return (n - 400) // 320 + 1


# --------------------------------------------------------------------------- guide pieces


@dataclass
class DataCollatorCTCWithPadding:
    """The guide's collator (transformers 5.x spelling: processor.pad(labels=...) instead of
    the removed `as_target_processor` context)."""

    processor: Wav2Vec2Processor
    padding: bool | str = True
    pad_to_multiple_of: int | None = None

    def __call__(self, features):
        input_features = [{"input_values": feature["input_values"]} for feature in features]
        label_features = [{"input_ids": feature["labels"]} for feature in features]
        batch = self.processor.pad(input_features, padding=self.padding, pad_to_multiple_of=self.pad_to_multiple_of, return_tensors="pt")
        labels_batch = self.processor.pad(labels=label_features, padding=self.padding, return_tensors="pt")
        # replace padding with -100 to ignore loss correctly
        labels = labels_batch["input_ids"].masked_fill(labels_batch.attention_mask.ne(1), -100)
        batch["labels"] = labels
        return batch


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class RecordingTrainer(Trainer):
    """Trainer with a sequential sampler; records the loss of every batch before backward."""

    def __init__(self, *args, dataset_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch_records = []
        self.dataset_items = dataset_items

    # transformers 5.24: Trainer._get_train_sampler(self, train_dataset=None) -> Sampler | None
    def _get_train_sampler(self, train_dataset=None):
        if train_dataset is None:
            train_dataset = self.train_dataset
        return torch.utils.data.SequentialSampler(train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        value = (loss[0] if return_outputs else loss).detach()
        self.batch_records.append(
            dict(
                global_step_before=self.state.global_step,
                loss=value.item(),
                model_training_mode=model.training,
                input_keys=sorted(inputs.keys()),
                attention_mask_passed="attention_mask" in inputs,
                num_items_in_batch=None if num_items_in_batch is None else int(num_items_in_batch),
                input_values_shape=list(inputs["input_values"].shape),
                labels=inputs["labels"].tolist(),
                rows=identify_rows(inputs, self.dataset_items),
            )
        )
        return loss


def identify_rows(inputs, items):
    """Which dataset rows (csv rows, 0-based) form this batch, found by exact comparison."""
    rows = []
    iv = inputs["input_values"].cpu().numpy()
    for r in range(iv.shape[0]):
        match = [
            i
            for i, it in enumerate(items)
            if len(it["input_values"]) <= iv.shape[1]
            and np.array_equal(iv[r, : len(it["input_values"])], it["input_values"])
            and not np.any(iv[r, len(it["input_values"]) :])
        ]
        assert len(match) == 1, match
        rows.append(match[0])
    return rows


class StepRecorder(TrainerCallback):
    def __init__(self):
        self.steps = []
        self._cur = None

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, model=None, **kwargs):
        # runs after clipping, right before optimizer.step()
        grads = [p.grad.detach() for p in model.parameters() if p.grad is not None]
        post = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, 2) for g in grads]), 2).item()
        self._cur = dict(
            step=state.global_step + 1,
            lr_in_optimizer_at_update=[g["lr"] for g in optimizer.param_groups],
            weight_decay_per_group=[g["weight_decay"] for g in optimizer.param_groups],
            grad_norm_after_clip=post,
        )

    def on_step_end(self, args, state, control, lr_scheduler=None, **kwargs):
        self._cur["global_step_after"] = state.global_step
        self._cur["epoch_after"] = state.epoch
        self._cur["scheduler_lr_after_step"] = lr_scheduler.get_last_lr()[0]
        self._cur["scheduler_last_epoch_after_step"] = lr_scheduler.last_epoch
        self.steps.append(self._cur)
        self._cur = None


# Weight decay strong enough that applying it to the wrong parameters (or to none) moves the
# final weights far beyond the parity tolerance: one epoch, no warm-up, lr 1e-2, decay 0.5.
STRONG_DECAY_OVERRIDES = dict(learning_rate=1e-2, weight_decay=0.5, warmup_steps=0, num_train_epochs=1)


def train_strong_decay(init_dir, collator, dataset, processor, decay):
    """The real Trainer with STRONG_DECAY_OVERRIDES from initial/; also the same run with decay on
    every parameter and with none, to record how far a wrong decay set lands from the right one."""
    tmp = tempfile.mkdtemp(prefix="asrc_trainer_decay_")
    args = TrainingArguments(output_dir=tmp, **dict(TRAINING_ARGS, **STRONG_DECAY_OVERRIDES))
    trainer = Trainer(
        model=Wav2Vec2ForCTC.from_pretrained(init_dir), args=args, data_collator=collator, train_dataset=dataset,
        processing_class=processor.feature_extractor,
    )
    trainer._get_train_sampler = lambda train_dataset=None: torch.utils.data.SequentialSampler(dataset)
    assert sorted(trainer.get_decay_parameter_names(trainer.model)) == sorted(decay)
    trainer.train()
    shutil.rmtree(tmp, ignore_errors=True)
    weights = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in trainer.model.state_dict().items()}
    logs = [e for e in trainer.state.log_history if "loss" in e and "step" in e and "train_loss" not in e]
    batches = [collator([dataset[i] for i in range(start, start + 2)]) for start in range(0, len(dataset), 2)]
    rates = [e["learning_rate"] for e in logs]
    names = [n for n, _ in trainer.model.named_parameters()]
    wrong = {}
    for label, decayed in (("decay_on_every_parameter", set(names)), ("no_decay_at_all", set())):
        replayed, _ = replay_with(init_dir, batches, rates, decayed, torch.float32, STRONG_DECAY_OVERRIDES)
        errors = relative_errors(replayed, weights)
        # the attention key biases follow rounding noise (their exact gradient is zero)
        wrong[label] = max(v for k, v in errors.items() if not k.endswith("k_proj.bias"))
    right, _ = replay_with(init_dir, batches, rates, set(decay), torch.float32, STRONG_DECAY_OVERRIDES)
    right_errors = relative_errors(right, weights)
    wrong["right_decay_set_replayed"] = max(v for k, v in right_errors.items() if not k.endswith("k_proj.bias"))
    return weights, dict(
        overrides=STRONG_DECAY_OVERRIDES,
        losses=[e["loss"] for e in logs],
        learning_rates=rates,
        grad_norms=[e["grad_norm"] for e in logs],
        file="final_strong_decay.safetensors",
        wrong_decay_sets_worst_relative_l2=wrong,
        how="transformers.Trainer with TRAINING_ARGS updated by STRONG_DECAY_OVERRIDES, sequential batches (0,1) "
        "(2,3) (4,5); wrong_decay_sets_worst_relative_l2: the worst per-tensor ||w - final|| / ||final|| of the "
        "same steps replayed (replay()) with decay on every parameter or on none",
    )


# Gradient accumulation over 2 micro-batches of 2: 3 batches an epoch give 2 optimizer steps (the
# second from a single micro-batch, the remainder), 4 in 2 epochs.
ACCUMULATION_OVERRIDES = dict(gradient_accumulation_steps=2)


def train_accumulated(init_dir, collator, dataset, processor):
    """The real Trainer with gradient_accumulation_steps=2 from initial/, sequential batches."""
    tmp = tempfile.mkdtemp(prefix="asrc_trainer_accumulation_")
    args = TrainingArguments(output_dir=tmp, **dict(TRAINING_ARGS, **ACCUMULATION_OVERRIDES))
    trainer = RecordingTrainer(
        model=Wav2Vec2ForCTC.from_pretrained(init_dir), args=args, data_collator=collator, train_dataset=dataset,
        processing_class=processor.feature_extractor, dataset_items=dataset.items,
    )
    trainer.train()
    shutil.rmtree(tmp, ignore_errors=True)
    weights = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in trainer.model.state_dict().items()}
    logs = [e for e in trainer.state.log_history if "loss" in e and "step" in e and "train_loss" not in e]
    return weights, dict(
        overrides=ACCUMULATION_OVERRIDES,
        max_steps=trainer.state.max_steps,
        micro_batches=[dict(rows=r["rows"], loss=r["loss"], optimizer_step=r["global_step_before"] + 1) for r in trainer.batch_records],
        losses=[e["loss"] for e in logs],
        learning_rates=[e["learning_rate"] for e in logs],
        grad_norms=[e["grad_norm"] for e in logs],
        epochs=[e["epoch"] for e in logs],
        file="final_accumulated.safetensors",
        how="transformers.Trainer with TRAINING_ARGS updated by ACCUMULATION_OVERRIDES, sequential batches (0,1) "
        "(2,3) (4,5) per epoch. Wav2Vec2ForCTC takes **kwargs, so the Trainer treats its loss as already scaled "
        "for accumulation (model_accepts_loss_kwargs with num_items_in_batch) and does not divide it: the "
        "gradient of an optimizer step is the SUM of its micro-batches' mean-loss gradients, and the logged "
        "loss is the sum of their losses. An epoch of 3 batches gives ceil(3 / 2) = 2 optimizer steps, the "
        "last from the one remaining batch.",
    )


# When the Trainer logs, evaluates and saves under each strategy (DefaultFlowCallback), recorded
# from real runs: 3 batches an epoch, 7 steps (so the run stops inside its third epoch).
EVENT_CASES = {
    "steps": dict(logging_steps=2, eval_strategy="steps", eval_steps=2, save_strategy="steps", save_steps=3),
    "epoch": dict(logging_strategy="epoch", eval_strategy="epoch", save_strategy="epoch"),
    "eval_delay": dict(logging_steps=3, eval_strategy="steps", eval_steps=2, eval_delay=4, save_strategy="no"),
    "logging_first_step": dict(logging_steps=4, logging_first_step=True, eval_strategy="no", save_strategy="steps", save_steps=5),
    "nothing": dict(logging_strategy="no", eval_strategy="no", save_strategy="no"),
}


class EventRecorder(TrainerCallback):
    def __init__(self):
        self.logged, self.evaluated, self.saved = [], [], []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs and "train_loss" not in logs:
            self.logged.append(state.global_step)

    def on_evaluate(self, args, state, control, **kwargs):
        self.evaluated.append(state.global_step)

    def on_save(self, args, state, control, **kwargs):
        self.saved.append(state.global_step)


def record_events(init_dir, collator, dataset, processor):
    cases = {}
    for name, overrides in EVENT_CASES.items():
        tmp = tempfile.mkdtemp(prefix="asrc_trainer_events_")
        base = dict(TRAINING_ARGS, logging_steps=500, max_steps=7, save_total_limit=None, logging_first_step=False)
        args = TrainingArguments(output_dir=tmp, **dict(base, **overrides))
        recorder = EventRecorder()
        trainer = Trainer(
            model=Wav2Vec2ForCTC.from_pretrained(init_dir), args=args, data_collator=collator, train_dataset=dataset,
            eval_dataset=torch.utils.data.Subset(dataset, [0, 1]), processing_class=processor.feature_extractor,
            callbacks=[recorder],
        )
        trainer._get_train_sampler = lambda train_dataset=None: torch.utils.data.SequentialSampler(dataset)
        trainer.train()
        shutil.rmtree(tmp, ignore_errors=True)
        cases[name] = dict(
            overrides=overrides, max_steps=7, batches_per_epoch=3,
            logged=recorder.logged, evaluated=recorder.evaluated, saved=recorder.saved,
        )
    return cases


# --------------------------------------------------------------------------- float64 replay


def replay(init_dir, batches, learning_rates, decay, dtype):
    return replay_with(init_dir, batches, learning_rates, decay, dtype, {})


def replay_with(init_dir, batches, learning_rates, decay, dtype, overrides):
    """The Trainer's steps written out (same batches, AdamW groups, learning rates and clipping)
    in `dtype`, with the loss as transformers' ForCTCLoss but log_softmax in `dtype`: run in float64
    it is the exact trajectory asrc's float32 training is measured against."""
    from make_reference import ctc_loss_like_hf

    model = Wav2Vec2ForCTC.from_pretrained(init_dir).to(dtype)
    model.train()  # every dropout, layerdrop and SpecAugment probability is 0
    named = dict(model.named_parameters())
    groups = [
        dict(params=[p for n, p in named.items() if n in decay], weight_decay=dict(TRAINING_ARGS, **overrides)["weight_decay"]),
        dict(params=[p for n, p in named.items() if n not in decay], weight_decay=0.0),
    ]
    optimizer = torch.optim.AdamW(
        groups, lr=TRAINING_ARGS["learning_rate"], betas=(TRAINING_ARGS["adam_beta1"], TRAINING_ARGS["adam_beta2"]),
        eps=TRAINING_ARGS["adam_epsilon"], foreach=False,
    )
    losses = []
    for batch, lr in zip(batches, learning_rates):
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss, _ = ctc_loss_like_hf(model, batch["input_values"].to(dtype), None, batch["labels"], dtype)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), TRAINING_ARGS["max_grad_norm"])
        optimizer.step()
        losses.append(loss.item())
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, losses


def relative_errors(weights, reference):
    """||w - ref|| / ||ref|| per tensor."""
    return {k: float((weights[k].double() - reference[k].double()).norm()) / float(reference[k].double().norm()) for k in sorted(reference)}


# --------------------------------------------------------------------------- main


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(os.path.join(OUT, "audio"))

    # ---- initial model: reference model with training noise switched off
    src_model = Wav2Vec2ForCTC.from_pretrained(SRC_MODEL, **CONFIG_OVERRIDES)
    src_proc = Wav2Vec2Processor.from_pretrained(SRC_MODEL)
    init_dir = os.path.join(OUT, "initial")
    src_model.save_pretrained(init_dir)
    src_proc.save_pretrained(init_dir)
    del src_model

    model = Wav2Vec2ForCTC.from_pretrained(init_dir)
    processor = Wav2Vec2Processor.from_pretrained(init_dir)
    for k, v in CONFIG_OVERRIDES.items():
        assert getattr(model.config, k) == v, (k, getattr(model.config, k))
    vocab = processor.tokenizer.get_vocab()
    pad_id = processor.tokenizer.pad_token_id
    assert model.config.pad_token_id == pad_id == 29

    # ---- audio and csv
    for name in ("a", "b", "c"):
        shutil.copyfile(os.path.join(REF, "audio", f"{name}.wav"), os.path.join(OUT, "audio", f"{name}.wav"))
    for name, dur, seed in NEW_AUDIO:
        write_wav(os.path.join(OUT, "audio", f"{name}.wav"), make_audio(dur, seed))
    csv_path = os.path.join(OUT, "train.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "text"])
        for name, text in ROWS:
            w.writerow([f"audio/{name}.wav", text])

    # ---- preprocessing exactly as the guide (prepare_dataset)
    items, rows_info = [], []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            audio = read_wav_float(os.path.join(OUT, row["path"]))
            batch = {}
            batch["input_values"] = processor(audio, sampling_rate=SR).input_values[0]
            batch["labels"] = processor(text=row["text"]).input_ids
            assert batch["input_values"].dtype == np.float32
            items.append(batch)
            frames = frames_for(len(audio))
            ids = batch["labels"]
            need = len(ids) + sum(1 for i in range(1, len(ids)) if ids[i] == ids[i - 1])
            assert need <= frames, (row, need, frames)
            assert all(i in range(len(vocab)) and i != pad_id for i in ids)
            rows_info.append(
                dict(path=row["path"], text=row["text"], samples=len(audio), frames=frames, labels=ids,
                     min_frames_needed=need)
            )

    collator = DataCollatorCTCWithPadding(processor=processor, padding=True)
    dataset = ListDataset(items)

    # ---- initial-state check: first batch, eval mode, no grad
    first = collator([items[0], items[1]])
    model.eval()
    with torch.no_grad():
        out = model(**first)
        lp = torch.nn.functional.log_softmax(out.logits, dim=-1, dtype=torch.float32).transpose(0, 1)
        lab = first["labels"]
        mask = (lab != -100) & (lab != pad_id)
        per = torch.nn.functional.ctc_loss(
            lp, lab.masked_select(mask), torch.full((lab.shape[0],), out.logits.shape[1], dtype=torch.long),
            mask.sum(-1), blank=pad_id, reduction="none", zero_infinity=True,
        )
    initial_check = dict(
        description="Initial model (initial/) on the first training batch (csv rows 0 and 1, collated by the "
        "guide's DataCollatorCTCWithPadding), model.eval(), torch.no_grad(), loss from Wav2Vec2ForCTC.forward "
        "(ctc_loss_reduction mean: per-sample loss / target length, averaged over the batch; zero_infinity True). "
        "No attention_mask: every row uses all frames of the padded batch as its CTC input length.",
        rows=[0, 1],
        batch_keys=sorted(first.keys()),
        attention_mask_passed="attention_mask" in first,
        input_values_shape=list(first["input_values"].shape),
        padded_samples=int(first["input_values"].shape[1]),
        logits_frames=int(out.logits.shape[1]),
        ctc_input_lengths=[int(out.logits.shape[1])] * lab.shape[0],
        labels=lab.tolist(),
        target_lengths=mask.sum(-1).tolist(),
        loss=out.loss.item(),
        per_sample_ctc_loss_sum_over_targets=per.tolist(),
        per_sample_loss_over_target_length=(per / mask.sum(-1).clamp(min=1)).tolist(),
    )
    model.train()

    # ---- Trainer
    tmp = tempfile.mkdtemp(prefix="asrc_trainer_ref_")
    args = TrainingArguments(output_dir=tmp, **TRAINING_ARGS)
    recorder = StepRecorder()
    trainer = RecordingTrainer(
        model=model,
        args=args,
        data_collator=collator,
        train_dataset=dataset,
        processing_class=processor.feature_extractor,
        callbacks=[recorder],
        dataset_items=items,
    )
    decay = trainer.get_decay_parameter_names(trainer.model)
    all_names = [n for n, _ in trainer.model.named_parameters()]
    no_decay = [n for n in all_names if n not in decay]
    trainable = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    sampler = trainer._get_train_sampler()
    train_out = trainer.train()
    shutil.rmtree(tmp, ignore_errors=True)

    opt = trainer.optimizer
    sched = trainer.lr_scheduler

    # ---- final weights
    sd = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in trainer.model.state_dict().items()}
    save_file(sd, os.path.join(OUT, "final.safetensors"))

    # ---- per-step table
    logs = [e for e in trainer.state.log_history if "loss" in e and "step" in e and "train_loss" not in e]
    assert len(logs) == len(recorder.steps) == len(trainer.batch_records) == trainer.state.global_step
    steps = []
    for i, (rec, st, lg) in enumerate(zip(trainer.batch_records, recorder.steps, logs)):
        assert st["step"] == lg["step"] == i + 1
        steps.append(
            dict(
                step=i + 1,
                rows=rec["rows"],
                utterances=[ROWS[r][0] for r in rec["rows"]],
                input_values_shape=rec["input_values_shape"],
                labels=rec["labels"],
                attention_mask_passed=rec["attention_mask_passed"],
                model_training_mode=rec["model_training_mode"],
                num_items_in_batch=rec["num_items_in_batch"],
                loss=rec["loss"],
                logged_loss=lg["loss"],
                learning_rate=st["lr_in_optimizer_at_update"][0],
                logged_learning_rate=lg["learning_rate"],
                scheduler_lr_after_step=st["scheduler_lr_after_step"],
                scheduler_last_epoch_after_step=st["scheduler_last_epoch_after_step"],
                grad_norm=lg["grad_norm"],
                grad_norm_after_clip=st["grad_norm_after_clip"],
                clipped=lg["grad_norm"] > TRAINING_ARGS["max_grad_norm"],
                epoch=lg["epoch"],
            )
        )

    group_info = []
    id2name = {id(p): n for n, p in trainer.model.named_parameters()}
    for g in opt.param_groups:
        group_info.append(
            dict(
                weight_decay=g["weight_decay"],
                lr_final=g["lr"],
                initial_lr=g.get("initial_lr"),
                betas=list(g["betas"]),
                eps=g["eps"],
                amsgrad=g.get("amsgrad"),
                maximize=g.get("maximize"),
                foreach=g.get("foreach"),
                fused=g.get("fused"),
                params=[id2name[id(p)] for p in g["params"]],
            )
        )

    ta = trainer.args
    expected = dict(
        description="A few steps of Hugging Face Trainer CTC fine-tuning of initial/ on train.csv, set up like the "
        "Hugging Face Wav2Vec2 fine-tuning guide (see tools/make_trainer_reference.py). Per step: rows = csv rows "
        "(0-based, header excluded) of the batch, loss = Wav2Vec2ForCTC loss of that batch before backward (train "
        "mode, but dropout/layerdrop/SpecAugment are all off), learning_rate = lr in the optimizer when it "
        "updated, grad_norm = Trainer's reported norm (pre-clipping total L2 norm over all parameters), "
        "epoch = trainer.state.epoch after the step. final.safetensors = trainer.model.state_dict() after the last "
        "step.",
        versions=dict(
            python=platform.python_version(),
            torch=torch.__version__,
            transformers=transformers.__version__,
            accelerate=accelerate.__version__,
            numpy=np.__version__,
        ),
        determinism=dict(torch_threads=1, use_deterministic_algorithms=True, device="cpu", seed=ta.seed),
        initial_model=dict(
            folder="initial",
            source="Tests/Fixtures/reference/group_postln_evenpos",
            config_overrides=CONFIG_OVERRIDES,
            num_parameters=sum(p.numel() for p in trainer.model.parameters()),
            has_masked_spec_embed=any("masked_spec_embed" in n for n in all_names),
            freeze_feature_encoder=False,
            gradient_checkpointing=False,
        ),
        data=dict(
            csv="train.csv",
            rows=rows_info,
            audio_read="int16 / 32768 as float32",
            input_values="processor(audio, sampling_rate=16000).input_values[0] (each utterance normalised on "
            "its own: (x - mean) / sqrt(var + 1e-7))",
            labels="processor(text=text).input_ids (spaces become '|' = 27)",
            collator="DataCollatorCTCWithPadding(processor, padding=True): processor.pad(input_values) pads "
            "with 0.0 to the longest in the batch; labels padded by tokenizer.pad and set to -100 where the "
            "label attention mask is 0",
            attention_mask_passed=any(s["attention_mask_passed"] for s in steps),
        ),
        training_arguments=dict(
            TRAINING_ARGS,
            group_by_length=False,
            resolved=dict(
                optim=str(ta.optim.value if hasattr(ta.optim, "value") else ta.optim),
                gradient_accumulation_steps=ta.gradient_accumulation_steps,
                train_batch_size=ta.train_batch_size,
                dataloader_drop_last=ta.dataloader_drop_last,
                train_sampling_strategy=getattr(ta, "train_sampling_strategy", None),
                logging_nan_inf_filter=ta.logging_nan_inf_filter,
                average_tokens_across_devices=ta.average_tokens_across_devices,
                warmup_steps_resolved=ta.get_warmup_steps(trainer.state.max_steps),
                max_steps=trainer.state.max_steps,
                num_train_epochs=ta.num_train_epochs,
                model_accepts_loss_kwargs=trainer.model_accepts_loss_kwargs,
            ),
        ),
        sampler=dict(
            type=type(sampler).__name__,
            how="RecordingTrainer._get_train_sampler(train_dataset=None) returns "
            "torch.utils.data.SequentialSampler(self.train_dataset)",
            batches_per_epoch=math.ceil(len(items) / TRAINING_ARGS["per_device_train_batch_size"]),
            order_per_step=[s["rows"] for s in steps],
        ),
        optimizer=dict(
            type=type(opt).__name__,
            param_groups=group_info,
        ),
        scheduler=dict(
            type=type(sched).__name__,
            lr_lambda="s < warmup: s / max(1, warmup); else max(0, (N - s) / max(1, N - warmup)); "
            f"warmup={ta.get_warmup_steps(trainer.state.max_steps)}, N={trainer.state.max_steps}",
            final_last_epoch=sched.last_epoch,
            final_lr=sched.get_last_lr()[0],
        ),
        weight_decay_parameters=dict(
            rule="Trainer.get_decay_parameter_names: a parameter gets weight decay unless it lies inside an "
            "nn.LayerNorm module, or its lower-cased dotted name matches one of the regexes "
            "'bias', 'layernorm', 'rmsnorm', '(?:^|\\.)norm(?:$|\\.)', '_norm(?:$|\\.)' (re.search). "
            "GroupNorm is not in the layer list but its name (conv_layers.0.layer_norm) matches '_norm.'.",
            decay=decay,
            no_decay=no_decay,
            trainable=trainable,
        ),
        steps=steps,
        train_output=dict(global_step=train_out.global_step, training_loss=train_out.training_loss),
        log_history=trainer.state.log_history,
        final_weights=dict(
            file="final.safetensors",
            keys=sorted(sd.keys()),
            dtype="float32",
        ),
    )

    # ---- the same steps replayed in float64 (and in float32, to show the replay is the Trainer's)
    batches = [collator([items[r] for r in s["rows"]]) for s in steps]
    learning_rates = [s["learning_rate"] for s in steps]
    replay32, losses32 = replay(init_dir, batches, learning_rates, set(decay), torch.float32)
    replay64, losses64 = replay(init_dir, batches, learning_rates, set(decay), torch.float64)
    save_file(replay64, os.path.join(OUT, "final_f64.safetensors"))
    replay_vs_trainer = relative_errors(replay32, sd)
    torch32_vs_f64 = relative_errors(sd, replay64)
    assert max(replay_vs_trainer.values()) < 1e-3, max(replay_vs_trainer.values())
    expected["float64_replay"] = dict(
        file="final_f64.safetensors",
        dtype="float64",
        how="replay() in tools/make_trainer_reference.py: the steps' batches (collated as the Trainer did), "
        "torch.optim.AdamW with the Trainer's decay / no-decay groups and each step's learning rate, "
        "clip_grad_norm_(max_grad_norm), model.to(float64), loss as ForCTCLoss with log_softmax in float64.",
        losses=losses64,
        float32_replay_losses=losses32,
        error_measure="||w - reference|| / ||reference|| per tensor",
        float32_replay_vs_trainer=replay_vs_trainer,
        trainer_float32_vs_float64=torch32_vs_f64,
        trainer_float32_vs_float64_worst=max(torch32_vs_f64.values()),
    )
    strong_weights, strong = train_strong_decay(init_dir, collator, dataset, processor, decay)
    save_file(strong_weights, os.path.join(OUT, "final_strong_decay.safetensors"))
    expected["strong_decay"] = strong
    accumulated_weights, accumulated = train_accumulated(init_dir, collator, dataset, processor)
    save_file(accumulated_weights, os.path.join(OUT, "final_accumulated.safetensors"))
    expected["gradient_accumulation"] = accumulated
    expected["strategy_events"] = record_events(init_dir, collator, dataset, processor)
    for name, case in expected["strategy_events"].items():
        print(f"events {name}: logged {case['logged']} evaluated {case['evaluated']} saved {case['saved']}")
    print(f"gradient accumulation: losses {accumulated['losses']}, epochs {accumulated['epochs']}")
    print(f"strong decay: losses {strong['losses']}; wrong decay sets land {strong['wrong_decay_sets_worst_relative_l2']} away")
    print(f"float64 replay: PyTorch float32 Trainer vs float64, worst relative L2 {max(torch32_vs_f64.values()):.3g}; "
          f"float32 replay vs Trainer, worst {max(replay_vs_trainer.values()):.3g}")

    s1 = steps[0]
    expected["notes"] = [
        f"Step 1 runs at learning rate {s1['learning_rate']} (linear warmup from 0: LambdaLR evaluates the lambda at "
        "the scheduler's step count, which is 0 for the first optimizer step). AdamW still updates its moments "
        "and step count on step 1, but the weights do not move (decoupled weight decay is lr * wd * p = 0).",
        "The scheduler is stepped once after every optimizer step (scheduler_lr_after_step is the lr the NEXT "
        "step uses); the lr used by optimizer step k (1-based) is lr * lambda(k - 1).",
        "Trainer logs learning_rate read before lr_scheduler.step(), i.e. the lr used by that update "
        "(logged_learning_rate == learning_rate).",
        "grad_norm in the logs is the total L2 norm over all parameters' gradients BEFORE clipping "
        "(accelerator.clip_grad_norm_ -> torch.nn.utils.clip_grad_norm_, which returns the pre-clip norm); "
        "clipping multiplies every gradient by min(1, max_grad_norm / (norm + 1e-6)). grad_norm_after_clip is "
        "our own norm measured in on_pre_optimizer_step.",
        "The logged loss of step k equals that batch's loss (logging_steps=1, gradient_accumulation_steps=1). "
        "Wav2Vec2ForCTC accepts **kwargs, so Trainer sets model_accepts_loss_kwargs and passes "
        "num_items_in_batch (number of labels != -100) to the model; the CTC loss ignores it, so the loss stays "
        "the 'mean' reduction (per-sample loss / target length, averaged over the batch) and Trainer does not "
        "divide it further.",
        "The loss ignores label positions equal to -100 AND equal to the blank id (ForCTCLoss masks both); the "
        "numerics doc mentions only -100.",
        "No attention_mask reaches the model (return_attention_mask False for this group-norm model): every row's "
        "CTC input length is the padded batch's frame count, and padded zeros go through the network.",
        f"Default optimizer in transformers {transformers.__version__} with torch {torch.__version__} is "
        f"'{expected['training_arguments']['resolved']['optim']}' (torch.optim.AdamW, fused="
        f"{group_info[0]['fused']} on CPU); two param groups: decay (weight_decay) first, no-decay (0.0) second. "
        "AdamW per parameter: p *= 1 - lr * wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
        "p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).",
        "TrainingArguments in transformers 5.24 has no group_by_length field; it became "
        "train_sampling_strategy ('random' default). We leave it at its default and override "
        "_get_train_sampler to return a SequentialSampler, so batches are csv rows (0,1) (2,3) (4,5) in both "
        "epochs.",
        "mask_time_prob 0.0 (and mask_feature_prob 0.0) means Wav2Vec2Model builds no masked_spec_embed "
        "parameter, so initial/ and final.safetensors have no such key.",
        "state.epoch after step k is (epoch index) + (batches done in this epoch) / batches per epoch.",
        "Tolerance hint (measured once with the versions above): rerunning with optim='adamw_torch' "
        "(non-fused AdamW) instead of the default fused one changes the per-step losses by up to 3e-6, the "
        "step-3 grad_norm by 1.4e-3 (of 123.2) and the final weights by up to 5.7e-5 (max abs).",
        "log_history's last entry (train_runtime, train_samples_per_second, ...) holds timings that vary "
        "between runs; everything else is deterministic.",
    ]

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "initial_state_check.json"), "w") as f:
        json.dump(initial_check, f, indent=1)
        f.write("\n")

    # ---- summary
    print(f"initial eval loss on batch 1: {initial_check['loss']:.6f}")
    for s in steps:
        print(
            f"step {s['step']} rows {s['rows']} loss {s['loss']:.6f} lr {s['learning_rate']:.6g} "
            f"grad_norm {s['grad_norm']:.6f} epoch {s['epoch']}"
        )
    print("no_decay:", no_decay)
    total = 0
    for dp, _, fs in os.walk(OUT):
        for fn in fs:
            total += os.path.getsize(os.path.join(dp, fn))
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    sys.exit(main())
