#!/usr/bin/env python3
"""Make the TensorBoard event-file fixture Tests/Fixtures/tensorboard/.

An event file written by torch.utils.tensorboard.SummaryWriter (the writer transformers'
TensorBoardCallback uses) with the kinds of event asrc writes: the file_version event, the
callback's two texts (args and model_config, at no step), scalars as add_scalar writes them
(one event per value; steps 0, small, past one varint byte and past 32 bits; negative, NaN and
infinite values), and a SessionLog START. `expected.json` holds what TensorBoard's own reader
(LegacyEventFileLoader: the events as written, before its migration of simple values to tensors) reads back from it, record by record, and CRC-32C and masked CRC-32C check
values from TensorBoard's record writer (its pure-Python crc32c and masked_crc32c), the tags
transformers' rewrite_logs gives log keys, and default_logdir's time format on a fixed date.

How to run (by hand, not in CI), from the repository root:

    pip install torch tensorboard
    python3 tools/make_tensorboard_reference.py
"""

import glob
import json
import math
import os
import shutil
import socket
import struct
import tempfile
from datetime import datetime
from unittest import mock

from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c, masked_crc32c
from torch.utils.tensorboard import SummaryWriter
from transformers.integrations import integration_utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tensorboard")
# Fixed wall times, so that the Swift writer can be given the same ones and the bytes compared.
WALL = 1_780_000_000.25

SCALARS = [
    ("eval/wer", 1.0, 0),
    ("train/loss", 2.718281828459045, 1),
    ("train/learning_rate", 1e-4, 1),
    ("train/grad_norm", 0.0, 1),
    ("train/epoch", 0.05, 1),
    ("train/grad_norm", math.nan, 2),
    ("train/loss", math.inf, 2),
    ("eval/loss", -0.5, 300),
    ("eval/cer", 3.4e38, 2**35 + 7),
]
TEXTS = [
    ("args", '{\n  "output_dir": "out",\n  "learning_rate": 0.0001\n}'),
    ("model_config", '{"vocab_size": 32, "note": "caf\u00e9 \u2713"}\n'),
]
LOG_KEYS = ["loss", "grad_norm", "learning_rate", "epoch", "eval_loss", "eval_wer", "eval_runtime", "test_wer", "evaluation", "eval", "train_loss"]
DATE = datetime(2026, 3, 5, 7, 8, 9)
CRC_VECTORS = [b"", b"a", b"123456789", bytes(32), bytes(range(256)), b"\x10\x00\x00\x00\x00\x00\x00\x00"]


def main():
    folder = tempfile.mkdtemp()
    writer = SummaryWriter(log_dir=folder)
    for index, (tag, text) in enumerate(TEXTS):
        writer.add_text(tag, text, walltime=WALL + 1 + index)
    for index, (tag, value, step) in enumerate(SCALARS):
        writer.add_scalar(tag, value, step, walltime=WALL + 10 + index)
    start = event_pb2.Event(session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    writer._get_file_writer().add_event(start, step=4, walltime=WALL + 100)
    writer.close()
    (path,) = glob.glob(os.path.join(folder, "events.out.tfevents.*"))

    records = []
    for event in LegacyEventFileLoader(path).Load():
        # The bits of the wall time too: JSON readers need not parse 17 digits exactly.
        record = {"wall_time": event.wall_time, "wall_time_bits": struct.unpack("<q", struct.pack("<d", event.wall_time))[0], "step": event.step}
        if event.HasField("file_version"):
            record["file_version"] = event.file_version
            record["source_writer"] = event.source_metadata.writer
        elif event.HasField("session_log"):
            record["session_log_status"] = event.session_log.status
        else:
            (value,) = event.summary.value
            record["tag"] = value.tag
            if value.HasField("simple_value"):
                record["simple_value"] = repr(value.simple_value)  # repr keeps nan and inf in JSON
            else:
                record["plugin_name"] = value.metadata.plugin_data.plugin_name
                record["plugin_content"] = list(value.metadata.plugin_data.content)
                record["dtype"] = value.tensor.dtype
                record["shape"] = [dim.size for dim in value.tensor.tensor_shape.dim]
                record["string_val"] = [item.decode("utf-8") for item in value.tensor.string_val]
        records.append(record)

    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(path, os.path.join(OUT, "events.out.tfevents.reference"))
    shutil.rmtree(folder)
    tags = integration_utils.rewrite_logs({key: 0.0 for key in LOG_KEYS})
    # default_logdir() reads the clock: give it a fixed one.
    fixed = mock.Mock(wraps=datetime)
    fixed.now.return_value = DATE
    with mock.patch("datetime.datetime", fixed):
        logdir = integration_utils.default_logdir()
    crcs = [{"bytes": list(data), "crc32c": crc32c(data), "masked": masked_crc32c(data)} for data in CRC_VECTORS]
    with open(os.path.join(OUT, "expected.json"), "w") as file:
        json.dump({
            "records": records, "crc": crcs, "rewrite_logs": dict(zip(LOG_KEYS, tags)),
            "default_logdir": {"date": DATE.isoformat(), "host": socket.gethostname(), "logdir": logdir},
        }, file, indent=1)
        file.write("\n")
    print(f"wrote {OUT}: {len(records)} records")


if __name__ == "__main__":
    main()
