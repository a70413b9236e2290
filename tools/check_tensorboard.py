#!/usr/bin/env python3
"""Check the TensorBoard event files of an `asrc train --report-to tensorboard` run with
TensorBoard's own readers.

Loads the run's logging folder (training_args.json's logging_dir, or --logging-dir) with
TensorBoard's two Python readers, EventAccumulator and the web server's plugin EventAccumulator
(every event kept, orphaned data purged as each does), and compares every scalar series with
trainer_state.json's log_history: the series transformers' TensorBoardCallback would write for it
(each entry's values but `step`, named by rewrite_logs, at the entry's step, as float32), point
for point and in order. The series train/loss,
train/learning_rate, train/grad_norm and train/epoch must be there, and eval/loss, eval/wer and
eval/cer when the run evaluated; the texts args and model_config must be there once each. A
killed and resumed run passes only if the steps its killed part wrote past the checkpoint are
not shown twice.

With --data-server it also starts `tensorboard --load_fast true` (TensorBoard's Rust data
server, what its web page shows by default) on the folder and checks the scalars it serves: one
point per step (it keeps the later of two values logged at one step), each the last value
log_history has at that step.

How to run, from the repository root:

    pip install tensorboard
    python3 tools/check_tensorboard.py OUTPUT_DIR [--logging-dir DIR] [--data-server]

Exits 1 and names every difference when a check fails.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
from tensorboard.backend.event_processing import event_accumulator, plugin_event_accumulator
from tensorboard.util import tensor_util
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

REQUIRED = ["train/loss", "train/learning_rate", "train/grad_norm", "train/epoch"]
REQUIRED_WITH_EVALUATION = ["eval/loss", "eval/wer", "eval/cer"]
TEXTS = ["args/text_summary", "model_config/text_summary"]


def rewrite(key):
    """transformers.integrations.integration_utils.rewrite_logs for one key."""
    for prefix in ("eval_", "test_"):
        if key.startswith(prefix):
            return prefix[:-1] + "/" + key[len(prefix):]
    return "train/" + key


def float32(value):
    return math.nan if value is None else float(np.float32(value))


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def expected_series(log_history):
    series = {}
    for entry in log_history:
        for key, value in entry.items():
            if key != "step":
                series.setdefault(rewrite(key), []).append((entry["step"], float32(value)))
    return series


def describe_files(folder):
    lines = []
    names = sorted(name for name in os.listdir(folder) if name.startswith("events.out.tfevents."))
    raw_points = 0
    for name in names:
        events = list(LegacyEventFileLoader(os.path.join(folder, name)).Load())
        scalars = [event for event in events if event.HasField("summary") and event.summary.value[0].HasField("simple_value")]
        raw_points += len(scalars)
        starts = [event.step for event in events if event.HasField("session_log") and event.session_log.status == 1]
        steps = [event.step for event in scalars]
        detail = f"{len(events)} events, {len(scalars)} scalars at steps {min(steps)}..{max(steps)}" if steps else f"{len(events)} events"
        if starts:
            detail += f", SessionLog START at step {starts[0]}"
        lines.append(f"  {name}: {detail}")
    return names, raw_points, lines


def compare(label, tag, got, want, problems):
    if len(got) != len(want) or any(gs != ws or not same(gv, wv) for (gs, gv), (ws, wv) in zip(got, want)):
        problems.append(f"{label} {tag}: {len(got)} points {got[:8]}{'…' if len(got) > 8 else ''}, log_history gives {len(want)} {want[:8]}{'…' if len(want) > 8 else ''}")


def load(folder):
    """Both Python readers' views: {tag: [(step, value)]} for scalars, {tag: count} for texts."""
    legacy = event_accumulator.EventAccumulator(folder, size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE)
    legacy.Reload()
    tags = legacy.Tags()
    legacy_view = (
        {tag: [(event.step, event.value) for event in legacy.Scalars(tag)] for tag in tags["scalars"]},
        {tag: len(legacy.Tensors(tag)) for tag in tags["tensors"]},
    )
    # The web server's reader (tensorboard --load_fast false) turns simple values into tensors.
    plugin = plugin_event_accumulator.EventAccumulator(folder, size_guidance={plugin_event_accumulator.TENSORS: 0})
    plugin.Reload()
    scalars, texts = {}, {}
    for tag in plugin.Tags()["tensors"]:
        events = plugin.Tensors(tag)
        if plugin.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            scalars[tag] = [(event.step, float(tensor_util.make_ndarray(event.tensor_proto).item())) for event in events]
        else:
            texts[tag] = len(events)
    return {"EventAccumulator": legacy_view, "plugin EventAccumulator": (scalars, texts)}


def check_reader(reader, view, series, evaluated, problems):
    scalars, texts = view
    required = REQUIRED + (REQUIRED_WITH_EVALUATION if evaluated else [])
    for tag in required:
        if tag not in scalars:
            problems.append(f"{reader}: no series {tag}")
    for tag in sorted(set(scalars) - set(series)):
        problems.append(f"{reader}: series {tag} is not in log_history")
    rows = []
    for tag in sorted(series):
        got = scalars.get(tag, [])
        compare(reader, tag, got, series[tag], problems)
        steps = [step for step, _ in got]
        extra_duplicates = len(steps) - len(set(steps)) - (len(series[tag]) - len({step for step, _ in series[tag]}))
        if extra_duplicates > 0:
            problems.append(f"{reader} {tag}: {extra_duplicates} duplicated steps that log_history does not have")
        rows.append((tag, len(got), f"{min(steps)}..{max(steps)}" if steps else "-"))
    for tag in TEXTS:
        if texts.get(tag, 0) != 1:
            problems.append(f"{reader}: the text {tag} is there {texts.get(tag, 0)} times, not once")
        rows.append((tag, texts.get(tag, 0), "text"))
    return rows, sum(len(points) for points in scalars.values())


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def get_json(port, route, **query):
    url = f"http://localhost:{port}{route}" + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def check_data_server(folder, series):
    """The scalars TensorBoard's Rust data server serves, against log_history's last value per step."""
    parent, run = os.path.split(os.path.abspath(folder))
    port = free_port()
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    server = subprocess.Popen(
        [tensorboard, "--logdir", parent, "--port", str(port), "--load_fast", "true", "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    problems = []
    try:
        deadline = time.time() + 60
        served = {}
        while time.time() < deadline:
            time.sleep(1)
            try:
                served = get_json(port, "/data/plugin/scalars/tags").get(run, {})
            except OSError:
                continue
            if set(series) <= set(served):
                break
        else:
            problems.append(f"data server: after 60 s it serves {sorted(served)} for run {run}, log_history has {sorted(series)}")
            return problems
        # Wait for a reload past the last file, then read every series.
        time.sleep(2)
        for tag in sorted(series):
            got = [(step, value) for _, step, value in get_json(port, "/data/plugin/scalars/scalars", run=run, tag=tag)]
            last = {}
            for step, value in series[tag]:
                last[step] = value
            compare("data server", tag, got, sorted(last.items()), problems)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--logging-dir", help="the event files' folder (default: training_args.json's logging_dir)")
    parser.add_argument("--state", help="the trainer_state.json to compare with (default: OUTPUT_DIR/trainer_state.json)")
    parser.add_argument("--data-server", action="store_true", help="also check what TensorBoard's Rust data server serves")
    args = parser.parse_args()
    # TensorBoard reports a purge on standard error; keep it beside the lines it explains.
    sys.stdout.reconfigure(line_buffering=True)

    state_path = args.state or os.path.join(args.output_dir, "trainer_state.json")
    with open(state_path) as file:
        log_history = json.load(file)["log_history"]
    folder = args.logging_dir
    if folder is None:
        with open(os.path.join(args.output_dir, "training_args.json")) as file:
            folder = json.load(file).get("logging_dir")
        if folder is None:
            sys.exit(f"{args.output_dir}/training_args.json has no logging_dir: was the run started with --report-to tensorboard?")
    series = expected_series(log_history)
    evaluated = any("eval_loss" in entry for entry in log_history)

    names, raw_points, file_lines = describe_files(folder)
    print(f"{folder}: {len(names)} event file{'s' if len(names) != 1 else ''}")
    print("\n".join(file_lines))
    problems = []
    for reader, view in load(folder).items():
        rows, kept_points = check_reader(reader, view, series, evaluated, problems)
        print(f"{reader}: {kept_points} scalar points kept of {raw_points} in the files ({raw_points - kept_points} purged as orphaned)")
        if reader == "EventAccumulator":
            print(f"  {'series':<28} {'points':>6}  steps")
            for tag, count, steps in rows:
                print(f"  {tag:<28} {count:>6}  {steps}")
    if args.data_server:
        server_problems = check_data_server(folder, series)
        problems += server_problems
        if not server_problems:
            print(f"data server: every series one point per step, equal to log_history's last value at that step")
    if problems:
        print("FAILED:")
        for problem in problems:
            print("  " + problem)
        sys.exit(1)
    print(f"OK: {len(series)} series equal to {state_path}'s log_history (float32) in both readers, no duplicated step, both texts once")


if __name__ == "__main__":
    main()
