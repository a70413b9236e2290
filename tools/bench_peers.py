"""Runner and summary for tools/bench-peers (standard library only).

  run --results FILE --key KEY --label LABEL [--round N] -- COMMAND...
      Runs COMMAND in its own process, passes its standard output through, keeps its standard
      error (shown only when it fails), and appends one JSON line to FILE: the label, the last
      "X s per audio-second" and "Y s per step" figures the command printed, and the peak RSS of
      the command's process tree from getrusage(RUSAGE_CHILDREN) (the largest process's peak, the
      same figure /usr/bin/time -v reports). A command that fails is recorded and reported; the
      benchmark goes on.
  skip --results FILE --key KEY --label LABEL --reason TEXT [--round N]
      Records and prints "LABEL: not measured (TEXT)".
  summary FILE [--load TEXT]
      The table of every figure from FILE and the ratios asrc / peer (seconds over seconds: below 1
      means asrc is faster), with issue 14's goals for the C backend beside theirs. With several
      rounds (tools/bench-peers' ROUNDS) a time is the median over its rounds and a peak RSS the
      largest, rounds that failed are counted beside the figure, and a ratio is taken within each
      round (the two measured minutes apart, not half an hour) and given as the median with the
      range.
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
    entry = {"key": args.key, "label": args.label, "status": "measured", "round": args.round}
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
    record(args.results, {"key": args.key, "label": args.label, "status": "not measured", "reason": args.reason, "round": args.round})


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def merged(rounds):
    """One key's entries over the rounds as one: the median times and the largest peak RSS of
    the measured rounds, with the rounds that were not measured counted and the first reason
    kept; the first entry when no round measured it."""
    measured = [entry for entry in rounds if entry["status"] == "measured"]
    if not measured:
        return rounds[0]
    entry = dict(measured[0])
    for field in ("s_per_audio_second", "s_per_step"):
        values = [round_entry[field] for round_entry in measured if field in round_entry]
        if values:
            entry[field] = median(values)
    entry["peak_rss_gib"] = max(round_entry["peak_rss_gib"] for round_entry in measured)
    entry["rounds"] = len(measured)
    missed = [round_entry for round_entry in rounds if round_entry["status"] != "measured"]
    if missed:
        entry["missed"] = f"{len(missed)} of {len(rounds)} rounds {missed[0]['status']}: {missed[0]['reason']}"
    return entry


def summary(args):
    by_key = {}
    with open(args.results) as file:
        for line in file:
            entry = json.loads(line)
            by_key.setdefault(entry["key"], []).append(entry)
    entries = {key: merged(rounds) for key, rounds in by_key.items()}
    round_count = max((len(rounds) for rounds in by_key.values()), default=1)
    sections = [("inference", f"inference, {args.inference}", INFERENCE_PEERS),
                ("train.full", f"training step, {args.train}, full", TRAINING_PEERS),
                ("train.frozen", f"training step, {args.train}, feature encoder frozen", TRAINING_PEERS)]
    runs = "one run" if round_count == 1 else f"one run of {round_count} rounds; times are medians over the rounds, peak RSS the largest"
    print(f"summary ({runs}{'; ' + args.load if args.load else ''})")
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
            spread = ""
            if round_count > 1:
                values = [e["s_per_audio_second"] for e in by_key[entry["key"]] if e["status"] == "measured"]
                spread = f"   ({min(values):.3f}–{max(values):.3f} over {len(values)} rounds)"
            if "missed" in entry:
                spread += f"   ({entry['missed']})"
            print(f"    {entry['label']:<40} {entry['s_per_audio_second']:>9.3f} {step:>8} {entry['peak_rss_gib']:>6.2f} GiB{spread}")
    within = "" if round_count == 1 else ", each taken within a round: median (range)"
    print(f"ratios, asrc / peer in time (below 1: asrc is faster), from this run{within}")
    for section, title, peers in sections:
        lines = []
        for asrc_key, asrc_name in ASRC:
            mine = by_key.get(f"{section}.{asrc_key}", [])
            for peer in peers:
                theirs = by_key.get(f"{section}.{peer}", [])
                # A figure printed as 0.000 has no ratio to give.
                ratios = [a["s_per_audio_second"] / b["s_per_audio_second"]
                          for a in mine for b in theirs
                          if a.get("round") == b.get("round") and a["status"] == "measured" and b["status"] == "measured"
                          and b["s_per_audio_second"] > 0]
                if not ratios:
                    continue
                goal = GOALS.get((section, asrc_key, peer))
                spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""
                if round_count > 1 and len(ratios) < round_count:
                    spread += f" (from {len(ratios)} of {round_count} rounds)"
                lines.append(f"    {asrc_name} / {entries[f'{section}.{peer}']['label']}: {median(ratios):.2f}{spread}" + (f"   ({goal})" if goal else ""))
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
    command.add_argument("--round", type=int, default=1)
    command.add_argument("command", nargs=argparse.REMAINDER)
    command.set_defaults(run=run)
    command = commands.add_parser("skip")
    command.add_argument("--results", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--label", required=True)
    command.add_argument("--reason", required=True)
    command.add_argument("--round", type=int, default=1)
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
