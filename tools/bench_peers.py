"""Runner and summary for tools/bench-peers (standard library only).

  run --results FILE --key KEY --label LABEL -- COMMAND...
      Runs COMMAND in its own process, passes its standard output through, keeps its standard
      error (shown only when it fails), and appends one JSON line to FILE: the label, the last
      "X s per audio-second" and "Y s per step" figures the command printed, and the peak RSS of
      the command's process tree from getrusage(RUSAGE_CHILDREN) (the largest process's peak, the
      same figure /usr/bin/time -v reports). A command that fails is recorded and reported; the
      benchmark goes on.
  skip --results FILE --key KEY --label LABEL --reason TEXT
      Records and prints "LABEL: not measured (TEXT)".
  summary FILE [--load TEXT]
      The table of every figure from FILE and the ratios asrc / peer (seconds over seconds: below 1
      means asrc is faster), with issue 14's goals for the C backend beside theirs.
"""
import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile

PER_AUDIO_SECOND = re.compile(r"([0-9.]+) s per audio-second")
PER_STEP = re.compile(r"([0-9.]+) s per step")

INFERENCE_PEERS = ["torch-eager", "torch-compile", "ort", "openvino-f32", "openvino-bf16"]
TRAINING_PEERS = ["torch-eager", "torch-compile", "torch-bf16"]
ASRC = [("asrc-c", "asrc C"), ("asrc-interp", "asrc interpreter"), ("asrc-c-bf16", "asrc C bf16"), ("asrc-c-fp16", "asrc C fp16")]
# Issue 14's goals for the C backend in fp32.
GOALS = {("inference", "asrc-c", "ort"): "goal: at most 1.00",
         ("train.full", "asrc-c", "torch-eager"): "goal: at most 0.80",
         ("train.frozen", "asrc-c", "torch-eager"): "goal: at most 0.80",
         ("inference", "asrc-c-bf16", "openvino-bf16"): "goal: at most 1.00",
         ("train.full", "asrc-c-bf16", "torch-bf16"): "goal: at most 0.80",
         ("train.frozen", "asrc-c-bf16", "torch-bf16"): "goal: at most 0.80"}


def record(path, entry):
    with open(path, "a") as file:
        file.write(json.dumps(entry) + "\n")


def run(args):
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    entry = {"key": args.key, "label": args.label, "status": "measured"}
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        output = []
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            output.append(line)
        code = process.wait()
        entry["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / (1024 * 1024)
        text = "".join(output)
        per_audio_second = PER_AUDIO_SECOND.findall(text)
        per_step = PER_STEP.findall(text)
        if code != 0 or not per_audio_second:
            errors.seek(0)
            tail = [line.rstrip() for line in errors.read().splitlines() if line.strip()][-8:]
            reason = f"exit status {code}" if code != 0 else "no 's per audio-second' figure in its output"
            print(f"{args.label}: failed ({reason}; command: {' '.join(command)})")
            for line in tail:
                print(f"    {line}")
            entry.update(status="failed", reason=reason)
        else:
            entry["s_per_audio_second"] = float(per_audio_second[-1])
            if per_step:
                entry["s_per_step"] = float(per_step[-1])
    record(args.results, entry)


def skip(args):
    print(f"{args.label}: not measured ({args.reason})")
    record(args.results, {"key": args.key, "label": args.label, "status": "not measured", "reason": args.reason})


def summary(args):
    entries = {}
    with open(args.results) as file:
        for line in file:
            entry = json.loads(line)
            entries[entry["key"]] = entry
    sections = [("inference", f"inference, {args.inference}", INFERENCE_PEERS),
                ("train.full", f"training step, {args.train}, full", TRAINING_PEERS),
                ("train.frozen", f"training step, {args.train}, feature encoder frozen", TRAINING_PEERS)]
    print(f"summary (one run{'; ' + args.load if args.load else ''})")
    print(f"  {'':<42} {'s/audio-s':>9} {'s/step':>8} {'peak RSS':>10}")
    for section, title, _ in sections:
        rows = [entry for key, entry in entries.items() if key.startswith(section + ".")]
        if not rows:
            continue
        print(f"  {title}")
        for entry in rows:
            if entry["status"] != "measured":
                print(f"    {entry['label']:<40} {entry['status']} ({entry['reason']})")
                continue
            step = f"{entry['s_per_step']:.2f}" if "s_per_step" in entry else ""
            print(f"    {entry['label']:<40} {entry['s_per_audio_second']:>9.3f} {step:>8} {entry['peak_rss_gib']:>6.2f} GiB")
    print("ratios, asrc / peer in time (below 1: asrc is faster), from this run")
    for section, title, peers in sections:
        lines = []
        for asrc_key, asrc_name in ASRC:
            mine = entries.get(f"{section}.{asrc_key}")
            if not mine or mine["status"] != "measured":
                continue
            for peer in peers:
                theirs = entries.get(f"{section}.{peer}")
                if not theirs or theirs["status"] != "measured":
                    continue
                ratio = mine["s_per_audio_second"] / theirs["s_per_audio_second"]
                goal = GOALS.get((section, asrc_key, peer))
                lines.append(f"    {asrc_name} / {theirs['label']}: {ratio:.2f}" + (f"   ({goal})" if goal else ""))
        if lines:
            print(f"  {title}")
            print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="name", required=True)
    command = commands.add_parser("run")
    command.add_argument("--results", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--label", required=True)
    command.add_argument("command", nargs=argparse.REMAINDER)
    command.set_defaults(run=run)
    command = commands.add_parser("skip")
    command.add_argument("--results", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--label", required=True)
    command.add_argument("--reason", required=True)
    command.set_defaults(run=skip)
    command = commands.add_parser("summary")
    command.add_argument("results")
    command.add_argument("--load", default="")
    command.add_argument("--inference", default="1 x 10 s", help="the inference shape, for the titles")
    command.add_argument("--train", default="batch 4 x 4 s", help="the training shape, for the titles")
    command.set_defaults(run=summary)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
