#!/usr/bin/env python3
"""Make the ONNX import fixtures under Tests/Fixtures/onnx/ (run by hand, not in CI).

For two of the reference models in Tests/Fixtures/reference/ (made by tools/make_reference.py)
it exports Wav2Vec2ForCTC (eval mode, float32, CPU) to ONNX with each exporter people use, checks
every file, runs it with onnxruntime, and describes how the weights appear in each graph, so that
asrc's ONNX importer can be written against real exporter output:

  <model>.legacy.onnx     torch.onnx.export(..., dynamo=False, opset_version=17,
                          do_constant_folding=True (torch's default)), dynamic batch/sequence axes
  <model>.dynamo.onnx     torch.onnx.export(..., dynamo=True) with torch.export.Dim dynamic shapes,
                          the opset the exporter picks; saved as one file with the weights inside.
                          The per-node metadata values "pkg.torch.onnx.stack_trace" (source lines with
                          this machine's paths) and "namespace" (the '/'-join of "path: class" pairs,
                          derivable from name_scopes + class_hierarchy) are blanked to "" to keep the
                          file small; the keys stay, and every other metadata_props entry
                          (pkg.torch.onnx.name_scopes, .class_hierarchy, .fx_node,
                          pkg.onnxscript.rewriter.rule_name) is kept exactly as exported.
  <model>.optimum.onnx    optimum.exporters.onnx.main_export(model_dir, task=
                          "automatic-speech-recognition"): the model.onnx it writes
  layer_stable_oddpos.external.onnx (+ .external.onnx.data)
                          the legacy export of layer_stable_oddpos re-saved with every tensor as
                          external data in one file (onnx.save_model(..., size_threshold=0))
  <file>.initializers.txt one line per initializer: name, dtype, shape, storage, the consuming
                          nodes (op_type, node name, input index, module scope) and which Hugging
                          Face parameter it holds (found by comparing values) and how
  expected.json           per file: exporter, opset, graph inputs, source model, onnxruntime logits
                          difference against the transformers logits (clips a, b, c alone; for
                          layer_stable_oddpos also the zero-padded batch with its attention_mask
                          against batch_logits.npy), and how the weights appear
                          (naming, layouts, LayerNorm / GroupNorm / weight-norm forms, Conv
                          attributes, attention reshape targets, shared initializers, Constant nodes).
                          Fields named "notes" are prose written from what torch 2.15 / optimum-onnx
                          0.1 produced; every other field is computed from the files themselves.

Models: group_postln_evenpos (GroupNorm feature encoder, post-LN, no attention mask) and
layer_stable_oddpos (LayerNorm feature encoder, stable-LN, attention_mask input).

How to run, from the repository root:

    pip install torch transformers numpy safetensors onnx onnxscript onnxruntime
    python3 tools/make_onnx_fixtures.py [--optimum-python PYTHON]

optimum's ONNX exporter lives in the optimum-onnx package, which (version 0.1.0) requires
transformers < 4.58; if it cannot be installed beside transformers 5, put it in a second
environment and pass that interpreter with --optimum-python, e.g.

    python3 -m venv /tmp/optenv
    echo "$(python3 -c 'import site; print(site.getsitepackages()[0])')" \
        > /tmp/optenv/lib/python3.11/site-packages/main-env.pth   # reuse torch etc.
    /tmp/optenv/bin/pip install optimum-onnx
    python3 tools/make_onnx_fixtures.py --optimum-python /tmp/optenv/bin/python

Without a working optimum the .optimum.onnx files are skipped (expected.json says so).
The versions used are recorded in expected.json ("versions").
"""

import argparse
import ast
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "Tests", "Fixtures", "reference")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
MODELS = ["group_postln_evenpos", "layer_stable_oddpos"]
CLIPS = ["a", "b", "c"]


# --------------------------------------------------------------------------------------------
# optimum worker (runs in the interpreter given by --optimum-python)


def optimum_worker(model_dir, destination):
    import importlib.metadata as md

    from optimum.exporters.onnx import main_export

    with tempfile.TemporaryDirectory() as folder:
        main_export(model_dir, output=folder, task="automatic-speech-recognition")
        shutil.copyfile(os.path.join(folder, "model.onnx"), destination)
        leftovers = sorted(name for name in os.listdir(folder) if name.endswith((".onnx", ".onnx_data", ".data")))
    versions = {}
    for package in ["optimum", "optimum-onnx", "transformers", "torch", "onnx"]:
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    print("OPTIMUM_RESULT " + json.dumps({"versions": versions, "onnx_files_written": leftovers}))


# --------------------------------------------------------------------------------------------
# exports


def load_model(name):
    import transformers

    model = transformers.Wav2Vec2ForCTC.from_pretrained(os.path.join(REFERENCE, name)).eval()
    return model


def takes_mask(model):
    return model.config.feat_extract_norm == "layer"


def example_args(model):
    import numpy as np
    import torch

    x = torch.from_numpy(np.load(os.path.join(REFERENCE, "audio", "input_values_a.npy")))[None]
    if takes_mask(model):
        return (x, torch.ones_like(x, dtype=torch.long)), ["input_values", "attention_mask"]
    return (x,), ["input_values"]


def export_legacy(model, path):
    import torch

    args, names = example_args(model)
    axes = {name: {0: "batch", 1: "samples"} for name in names}
    axes["logits"] = {0: "batch", 1: "frames"}
    with torch.no_grad():
        torch.onnx.export(
            model, args, path, dynamo=False, opset_version=17,
            input_names=names, output_names=["logits"], dynamic_axes=axes,
        )
    return {"call": "torch.onnx.export(model, args, path, dynamo=False, opset_version=17, input_names=%s, "
                    "output_names=['logits'], dynamic_axes=%s)" % (names, axes)}


BLANKED_METADATA = ("pkg.torch.onnx.stack_trace", "namespace")


def blank_metadata(model_proto):
    """Blanks the bulky, derivable metadata values (kept as keys with value "")."""
    blanked = collections.Counter()
    for node in model_proto.graph.node:
        for prop in node.metadata_props:
            if prop.key in BLANKED_METADATA and prop.value:
                prop.value = ""
                blanked[prop.key] += 1
    return dict(blanked)


def export_dynamo(model, path):
    import onnx
    import torch

    args, names = example_args(model)
    batch, samples = torch.export.Dim("batch"), torch.export.Dim("samples")
    shapes = {name: {0: batch, 1: samples} for name in names}
    with torch.no_grad():
        program = torch.onnx.export(
            model, args, dynamo=True, input_names=names, output_names=["logits"], dynamic_shapes=shapes,
            verbose=False,
        )
    proto = program.model_proto  # weights inline (raw_data), nothing external
    blanked = blank_metadata(proto)
    onnx.save_model(proto, path, save_as_external_data=False)
    return {"call": "torch.onnx.export(model, args, dynamo=True, input_names=%s, output_names=['logits'], "
                    "dynamic_shapes={each input: {0: Dim('batch'), 1: Dim('samples')}}).model_proto, then "
                    "onnx.save_model(m, path, save_as_external_data=False)" % names,
            "metadata_values_blanked": blanked}


def export_optimum(name, path, python):
    command = [python, os.path.abspath(__file__), "--optimum-worker", os.path.join(REFERENCE, name), path]
    result = subprocess.run(command, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("OPTIMUM_RESULT "):
            info = json.loads(line[len("OPTIMUM_RESULT "):])
            info["call"] = ("optimum.exporters.onnx.main_export(model_dir, output=tmp, "
                            "task='automatic-speech-recognition'); copied tmp/model.onnx")
            info["python"] = python
            return info
    if os.path.exists(path):
        os.remove(path)  # no stale file beside a "skipped" entry
    tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
    return {"skipped": "optimum export failed with %s: %s" % (python, " | ".join(tail))}


def make_external(source, path):
    import onnx

    model = onnx.load(source)
    location = os.path.basename(path) + ".data"
    data_path = os.path.join(os.path.dirname(path), location)
    if os.path.exists(data_path):
        os.remove(data_path)  # onnx appends to an existing data file
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location, size_threshold=0)
    return {"call": "onnx.save_model(onnx.load(%r), %r, save_as_external_data=True, all_tensors_to_one_file=True, "
                    "location=%r, size_threshold=0)" % (os.path.basename(source), os.path.basename(path), location),
            "data_file": location}


# --------------------------------------------------------------------------------------------
# analysis


def dtype_name(code):
    import onnx

    return onnx.TensorProto.DataType.Name(code)


def tensor_storage(tensor):
    import onnx

    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        info = {entry.key: entry.value for entry in tensor.external_data}
        return "external(location=%s,offset=%s,length=%s)" % (info.get("location"), info.get("offset", "0"),
                                                              info.get("length", "?"))
    fields = [field.name for field, _ in tensor.ListFields() if field.name.endswith("_data")]
    text = "+".join(fields) if fields else "empty"
    if tensor.HasField("data_location"):
        text += "(data_location=DEFAULT set explicitly)"
    return text


def node_scope(node, style):
    """(module path, raw scope) for a node. style: 'names' (TorchScript exporter) or 'metadata' (dynamo)."""
    if style == "metadata":
        props = {prop.key: prop.value for prop in node.metadata_props}
        raw = props.get("pkg.torch.onnx.name_scopes")
        if raw is None:
            return "", None
        scopes = ast.literal_eval(raw)
        return (scopes[-2] if len(scopes) >= 2 else ""), raw
    if node.name.startswith("/"):
        parts = node.name.strip("/").split("/")
        return ".".join(parts[:-1]), node.name
    return "", node.name


def reference_tensors(model):
    import torch

    tensors = {key: value.detach().numpy() for key, value in model.state_dict().items()}
    conv = model.wav2vec2.encoder.pos_conv_embed.conv
    with torch.no_grad():
        folded = conv.weight.detach().numpy().copy()  # weight norm applied: g * v / ||v|| (dim=2)
    key = "wav2vec2.encoder.pos_conv_embed.conv.weight"
    return tensors, key, folded


def match_parameter(array, tensors, folded_key, folded):
    import numpy as np

    if array.dtype != np.float32 or array.size < 2:
        return None, None
    for key, ref in tensors.items():
        if ref.shape == array.shape and np.array_equal(ref, array):
            return key, "identity"
    for key, ref in tensors.items():
        if ref.ndim == 2 and ref.T.shape == array.shape and np.array_equal(ref.T, array):
            return key, "transpose ([out,in] -> [in,out])"
    for key, ref in tensors.items():
        if ref.size == array.size and ref.shape != array.shape and np.array_equal(ref.ravel(), array.ravel()):
            return key, "reshape %s -> %s" % (list(ref.shape), list(array.shape))
    if folded.shape == array.shape and np.allclose(folded, array, rtol=1e-5, atol=1e-7):
        diff = float(np.abs(folded - array).max())
        return folded_key, "weight_norm folded: g*v/||v|| over dims (0,1) (max abs diff to torch %.3g)" % diff
    if np.all(array == 1):
        return None, "constant ones (not a parameter)"
    if np.all(array == 0):
        return None, "constant zeros (not a parameter)"
    return None, None


def constant_value(graph_index, name):
    """Value of a tensor that is an initializer or a Constant node's output, else None."""
    from onnx import numpy_helper

    if name in graph_index["init"]:
        return numpy_helper.to_array(graph_index["init"][name])
    node = graph_index["producer"].get(name)
    if node is not None and node.op_type == "Constant":
        for attr in node.attribute:
            if attr.name == "value":
                return numpy_helper.to_array(attr.t)
    return None


def describe_shape_input(graph_index, name, depth=0):
    value = constant_value(graph_index, name)
    if value is not None:
        return value.tolist()
    node = graph_index["producer"].get(name)
    if node is not None and node.op_type == "Concat" and depth < 2:
        parts = []
        for part in node.input:
            described = describe_shape_input(graph_index, part, depth + 1)
            if isinstance(described, list):
                parts.extend(described)
            else:
                parts.append(described)
        return parts
    return "dynamic(%s)" % (node.op_type if node is not None else "input")


def attributes(node):
    from onnx import helper

    result = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode()
        if attr.type in (attr.TENSOR, attr.GRAPH, attr.TENSORS, attr.GRAPHS):
            continue
        result[attr.name] = value
    return result


def analyse(path, model_name, exporter, model, style):
    import numpy as np
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(path)  # loads external data into memory, keeps the tensors' storage fields
    raw_proto = onnx.load(path, load_external_data=False)
    graph = proto.graph
    index = {"init": {t.name: t for t in graph.initializer}, "producer": {}, "consumers": collections.defaultdict(list)}
    for node in graph.node:
        for output in node.output:
            index["producer"][output] = node
        for position, name in enumerate(node.input):
            index["consumers"][name].append((node, position))
    tensors, folded_key, folded = reference_tensors(model)

    lines = []
    renamed, kept, matched_keys, shared = [], [], set(), []
    dtype_counts, storage_counts = collections.Counter(), collections.Counter()
    raw_storage = {t.name: tensor_storage(t) for t in raw_proto.graph.initializer}
    for tensor in graph.initializer:
        array = numpy_helper.to_array(tensor)
        key, how = match_parameter(array, tensors, folded_key, folded)
        if key:
            matched_keys.add(key)
        consumers = index["consumers"][tensor.name]
        consumer_text = []
        for node, position in consumers:
            scope, raw = node_scope(node, style)
            consumer_text.append("%s:%s:in%d:scope=%s" % (node.op_type, node.name, position, scope or "-"))
        storage = raw_storage[tensor.name]
        dtype_counts[dtype_name(tensor.data_type)] += 1
        storage_counts[storage.split("(")[0] if not storage.startswith("external") else "external"] += 1
        lines.append("\t".join([
            tensor.name, dtype_name(tensor.data_type), "x".join(str(d) for d in tensor.dims) or "scalar", storage,
            " ; ".join(consumer_text) or "(unused)",
            ("hf=%s [%s]" % (key, how)) if key else ("hf=- [%s]" % how if how else "hf=-"),
        ]))
        if len(consumers) > 1:
            shared.append({"name": tensor.name, "shape": list(tensor.dims), "dtype": dtype_name(tensor.data_type),
                           "consumers": ["%s %s" % (n.op_type, n.name) for n, _ in consumers],
                           "hf": key})
        if key:
            first = consumers[0][0] if consumers else None
            scope, raw = node_scope(first, style) if first is not None else ("", None)
            entry = {"name": tensor.name, "shape": list(tensor.dims), "hf": key, "how": how,
                     "consumer": "%s %s" % (first.op_type, first.name) if first is not None else None,
                     "scope": scope, "raw_scope": raw}
            (kept if tensor.name == key else renamed).append(entry)

    absent = sorted(set(tensors) - matched_keys)

    # Constant nodes
    constants = [node for node in graph.node if node.op_type == "Constant"]
    big_constants = []
    for node in constants:
        for attr in node.attribute:
            if attr.name == "value" and numpy_helper.to_array(attr.t).size >= 8:
                value = numpy_helper.to_array(attr.t)
                big_constants.append({"node": node.name, "shape": list(value.shape), "dtype": dtype_name(attr.t.data_type),
                                      "values_head": value.ravel()[:4].tolist(), "consumer_scope":
                                      node_scope(index["consumers"][node.output[0]][0][0], style)[0]
                                      if index["consumers"][node.output[0]] else None})

    # structural facts, as compact one-line strings
    def short(node):
        attrs = " ".join("%s=%s" % item for item in sorted(attributes(node).items()))
        if node.op_type == "Constant":
            value = constant_value(index, node.output[0])
            if value is not None and value.size <= 8:
                attrs = "value=%s %s" % (dtype_name(node.attribute[0].t.data_type), value.tolist())
        return "%s %s(%s)%s" % (node.op_type, node.name, ", ".join(node.input), (" " + attrs) if attrs else "")

    convs, norms, norm_kinds, attention_reshapes, weight_norm_ops, group_norm_ops = [], [], set(), [], [], []
    for node in graph.node:
        scope, raw = node_scope(node, style)
        if node.op_type == "Conv":
            convs.append("%s: %s" % (scope or "-", short(node)))
        if node.op_type in ("LayerNormalization", "InstanceNormalization", "GroupNormalization"):
            norms.append("%s: %s(x, %s)" % (scope or "-", node.op_type, ", ".join(node.input[1:])))
            norm_kinds.add("%s %s" % (node.op_type, " ".join("%s=%s" % item
                                                             for item in sorted(attributes(node).items()))))
        if node.op_type == "Reshape" and scope == "wav2vec2.encoder.layers.0.attention":
            attention_reshapes.append("%s: %s %s target %s" % (
                node.name, node.op_type, " ".join("%s=%s" % item for item in sorted(attributes(node).items())),
                describe_shape_input(index, node.input[1])))
        if scope.startswith("wav2vec2.encoder.pos_conv_embed.conv"):
            weight_norm_ops.append(short(node))
        if scope == "wav2vec2.feature_extractor.conv_layers.0.layer_norm":
            group_norm_ops.append(short(node))
    metadata_keys = collections.Counter(prop.key for node in graph.node for prop in node.metadata_props)
    examples = []
    if metadata_keys:
        wanted = {"Conv": 2, "MatMul": 1, "Add": 1, "InstanceNormalization": 1, "Mul": 1}
        for node in graph.node:
            scope, raw = node_scope(node, "metadata")
            if wanted.get(node.op_type, 0) > 0 and scope and (node.op_type != "Conv" or "pos_conv" in scope
                                                             or "conv_layers.0" in scope) and (
                    node.op_type not in ("Add", "Mul") or "projection" in scope or "layer_norm" in scope):
                wanted[node.op_type] -= 1
                props = {prop.key: prop.value for prop in node.metadata_props}
                examples.append({"node": "%s %s(%s)" % (node.op_type, node.name, ", ".join(node.input)),
                                 **{key: props.get(key) for key in ("pkg.torch.onnx.name_scopes",
                                                                    "pkg.torch.onnx.class_hierarchy",
                                                                    "pkg.torch.onnx.fx_node")}})

    linear = [e for e in kept + renamed if e["hf"].endswith(".weight") and e["hf"] in tensors and tensors[e["hf"]].ndim == 2]
    summary = {
        "ir_version": proto.ir_version,
        "opset_imports": {imp.domain or "ai.onnx": imp.version for imp in proto.opset_import},
        "producer": "%s %s" % (proto.producer_name, proto.producer_version),
        "graph_inputs": ["%s %s %s" % (i.name, dtype_name(i.type.tensor_type.elem_type),
                                       [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
                         for i in graph.input],
        "graph_outputs": ["%s %s %s" % (o.name, dtype_name(o.type.tensor_type.elem_type),
                                        [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
                          for o in graph.output],
        "node_count": len(graph.node),
        "op_counts": " ".join("%s:%d" % item for item in
                              collections.Counter(node.op_type for node in graph.node).most_common()),
        "initializer_count": len(graph.initializer),
        "initializer_dtypes": dict(dtype_counts),
        "initializer_storage": dict(storage_counts),
        "node_metadata_keys": dict(metadata_keys),
        "weights_with_hf_names": len(kept),
        "weights_renamed": ["%s %s = %s [%s] <- %s, scope %s" % (e["name"], e["shape"], e["hf"], e["how"],
                                                                 e["consumer"], e["scope"] or "-") for e in renamed],
        "hf_parameters_not_found_as_initializer": absent,
        "linear_weights": sorted({"%s consumed by %s" % (e["how"].split(" ")[0], e["consumer"].split(" ")[0])
                                  for e in linear}),
        "shared_initializers": ["%s %s %s%s used by %s" % (e["name"], e["dtype"], e["shape"],
                                                           (" (= %s)" % e["hf"]) if e["hf"] else "",
                                                           ", ".join(e["consumers"])) for e in shared],
        "constant_nodes": {"count": len(constants), "with_8_or_more_elements": big_constants},
        "normalization_kinds": sorted(norm_kinds),
        "normalization_nodes": norms,
        "conv_nodes": convs,
        "conv_layers0_norm_nodes": group_norm_ops,
        "pos_conv_nodes": weight_norm_ops,
        "layers0_attention_reshape_targets": attention_reshapes,
        "metadata_examples": examples,
    }
    return summary, lines


def run_ort(path, model_name, proto_inputs):
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    result = {}
    for clip in CLIPS:
        x = np.load(os.path.join(REFERENCE, "audio", "input_values_%s.npy" % clip))[None].astype(np.float32)
        feeds = {"input_values": x}
        if "attention_mask" in names:
            dtype = {"tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
                     "tensor(float)": np.float32}[[i.type for i in session.get_inputs() if i.name == "attention_mask"][0]]
            feeds["attention_mask"] = np.ones_like(x, dtype=dtype)
        logits = session.run(["logits"], feeds)[0][0]
        reference = np.load(os.path.join(REFERENCE, model_name, "logits_%s.npy" % clip))
        if logits.shape != reference.shape:
            result[clip] = {"error": "shape %s vs %s" % (logits.shape, reference.shape)}
            continue
        difference = float(np.abs(logits - reference).max())
        result[clip] = {"max_abs_diff": difference, "max_abs_diff_relative": difference / float(np.abs(reference).max()),
                        "frames": int(reference.shape[0])}
    if model_name == "layer_stable_oddpos":
        # padded batch (a, b, c) as the feature extractor makes it (per-clip normalised values, zero padding,
        # attention_mask 1 on real samples) against <model>/batch_logits.npy
        clips = [np.load(os.path.join(REFERENCE, "audio", "input_values_%s.npy" % clip)) for clip in CLIPS]
        length = max(len(clip) for clip in clips)
        batch = np.zeros((len(clips), length), np.float32)
        mask = np.zeros((len(clips), length), np.int64)
        for row, clip in enumerate(clips):
            batch[row, :len(clip)] = clip
            mask[row, :len(clip)] = 1
        feeds = {"input_values": batch}
        if "attention_mask" in names:
            feeds["attention_mask"] = mask
        logits = session.run(["logits"], feeds)[0]
        reference = np.load(os.path.join(REFERENCE, model_name, "batch_logits.npy"))
        rows = [float(np.abs(logits[row] - reference[row]).max()) for row in range(len(clips))]
        result["padded_batch"] = {"max_abs_diff_per_row": rows,
                                  "attention_mask_fed": "attention_mask" in names,
                                  "note": "zero-padded batch of a, b, c with its attention_mask (if the graph takes "
                                          "one) against batch_logits.npy (all frames)"}
    return result


# --------------------------------------------------------------------------------------------

NOTES = {
    "legacy": [
        "Parameters used directly by an op keep their Hugging Face state-dict names (Conv weights/biases, "
        "LayerNormalization scale/bias, every Linear bias, e.g. 'wav2vec2.encoder.layers.0.attention.q_proj.bias').",
        "Parameters the exporter had to transform are constant-folded into new initializers named "
        "'onnx::<ConsumerOp>_<n>': Linear weights as 'onnx::MatMul_N' holding weight.T ([in, out]) feeding MatMul "
        "(no Gemm; the bias is a separate Add whose FIRST input is the bias initializer), the positional conv weight "
        "as 'onnx::Conv_N' (weight norm already applied, [hidden, hidden/groups, K]), and for the GroupNorm model "
        "the conv_layers.0 GroupNorm weight/bias as 'onnx::Mul_N' / 'onnx::Add_N' reshaped to [C, 1].",
        "Recover the module of a renamed initializer from the name of the node that consumes it: "
        "'/wav2vec2/encoder/layers.0/attention/q_proj/MatMul' -> drop the leading '/' and the last segment, join "
        "with '.' -> 'wav2vec2.encoder.layers.0.attention.q_proj' (+ '.weight'). No node metadata_props.",
        "GroupNorm (conv_layers.0.layer_norm, groups == channels): Reshape [0, C, -1] -> InstanceNormalization with "
        "scale/bias from Constant nodes (ones / zeros, not initializers) -> Reshape back to the Conv output's Shape "
        "-> Mul by weight[C,1] -> Add bias[C,1].",
        "LayerNorm is one LayerNormalization(axis=-1, epsilon=1e-5 as float32 9.9999997e-06) with the HF-named "
        "weight/bias initializers as inputs 1 and 2. The LayerNorm feature encoder layers appear as "
        "Transpose(0,2,1) -> LayerNormalization -> Transpose(0,2,1) between Conv and GELU.",
        "GELU is decomposed: x * (Erf(x / 1.4142135) + 1) * 0.5 (Div, Erf, Add, Mul, Mul).",
        "Attention (SDPA decomposed): q,k,v = MatMul+Add; Reshape to [B, T, -1, head_dim] where the head_dim is a "
        "Constant in the shape Concat (8 here) and the head count is -1 (heads = hidden / head_dim); q and k are each "
        "multiplied by head_dim**-0.25 (0.5946) before MatMul; Softmax; IsNaN/Where guard in the masked model.",
        "Every initializer is FLOAT in raw_data and is consumed by exactly one node (nothing merged or shared). "
        "Int64 shape pieces and float scalars are Constant nodes (value attribute tensors), not initializers; the "
        "only Constant tensors with 8 or more elements are the InstanceNormalization ones/zeros [C].",
    ],
    "dynamo": [
        "Parameters used directly keep their Hugging Face names (Conv weight/bias, LayerNormalization scale/bias, "
        "Linear biases). Transformed weights get fresh value names: Linear weights 'val_N' holding weight.T "
        "([in, out]) feeding MatMul (node 'node_MatMul_N'; the bias Add is 'node_linear_K' with the bias as input 1), "
        "the positional conv weight is named after the folded fx node ('mul_2' / 'mul_24') with weight norm already "
        "applied, and the GroupNorm weight/bias are 'val_N' [C, 1].",
        "Module paths come from node metadata_props: key 'pkg.torch.onnx.name_scopes' holds a Python-repr list "
        "(single quotes, not JSON), e.g. \"['', 'wav2vec2', 'wav2vec2.encoder', 'wav2vec2.encoder.layers.0', "
        "'wav2vec2.encoder.layers.0.attention', 'wav2vec2.encoder.layers.0.attention.q_proj', 'linear_1']\"; the "
        "second-to-last element is the full module path, the last is the fx node name. 'pkg.torch.onnx.class_hierarchy' "
        "gives the module classes in the same order, 'pkg.torch.onnx.fx_node' is the fx node text (it names the "
        "parameters, e.g. %p_wav2vec2_feature_extractor_conv_layers_0_layer_norm_weight for the GroupNorm nodes). "
        "The exporter's 'namespace' ('path: class' pairs joined by '/') and 'pkg.torch.onnx.stack_trace' values were "
        "blanked in these fixtures.",
        "Small constants (shape pieces, scalars like the SDPA scale, -inf fill) are initializers too, named 'val_N' "
        "(INT64/FLOAT/BOOL), several of them shared by many nodes; there are no Constant nodes.",
        "GroupNorm: Reshape(val [0, C, -1]) -> InstanceNormalization(scale=val ones[C], bias=val zeros[C], "
        "epsilon 1e-5) -> Reshape(Shape(conv out)) -> Mul(weight [C,1]) -> Add(bias [C,1]), all with name_scopes "
        "ending in 'wav2vec2.feature_extractor.conv_layers.0.layer_norm'.",
        "GELU is a single Gelu op (approximate='none', opset 20). LayerNormalization has stash_type=1, axis=-1, "
        "epsilon 1e-5.",
        "Attention: Reshape (allowzero=1) targets are Concat(batch, T, [-1], [head_dim=8]) for q/k/v and "
        "Concat(batch, [heads=4], T, [head_dim]) after SDPA, so the head count is an explicit constant there; q and k "
        "are scaled by head_dim**-0.25 (a shared scalar initializer) before MatMul.",
        "Weights are stored inline in raw_data (we saved model_proto without external data; "
        "torch.onnx.export(..., f=path, dynamo=True) itself wrote the larger weights, here every tensor of 640 "
        "bytes and up, to '<path>.data').",
    ],
    "optimum": [
        "optimum-onnx 0.1.0 calls the TorchScript exporter (dynamo=False) at opset 18 with do_constant_folding=True, "
        "so names look like the legacy export ('onnx::MatMul_N' = weight.T feeding MatMul, HF names for the rest, "
        "module path from node names), with one big difference: the positional conv weight norm is NOT folded. "
        "The graph keeps 'wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1' (v, [hidden, "
        "hidden/groups, K]) and '...original0' (g, [1, 1, K]) and computes weight = v / ReduceL2(v, axes=[0,1], "
        "keepdims=1) * g with nodes named '/wav2vec2/encoder/pos_conv_embed/conv/weight/weight.0/ReduceL2|Div|Mul'.",
        "Only input_values is a graph input (optimum's Wav2Vec2 config has no attention_mask), even for the "
        "LayerNorm model, so padded batches of that model do not match transformers (see ort.padded_batch); "
        "dynamic axes are named batch_size / sequence_length. optimum ran with transformers 4.57.6 "
        "(optimum-onnx 0.1.0 requires < 4.58) loading the 5.24-saved folders.",
    ],
    "external": [
        "Identical graph to layer_stable_oddpos.legacy.onnx, but every initializer (size_threshold=0) has "
        "data_location=EXTERNAL and external_data entries location='layer_stable_oddpos.external.onnx.data', "
        "offset, length; the tensors lie back to back in initializer order from offset 0 (no alignment padding; "
        "see the storage column of the .initializers.txt). Constant nodes stay inline in the graph.",
    ],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimum-python", default=sys.executable,
                        help="interpreter that has optimum-onnx installed (default: this one)")
    parser.add_argument("--optimum-worker", nargs=2, metavar=("MODEL_DIR", "OUT_ONNX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.optimum_worker:
        optimum_worker(*args.optimum_worker)
        return

    import importlib.metadata as md

    import numpy as np
    import onnx
    import torch

    os.makedirs(OUT, exist_ok=True)
    versions = {"python": sys.version.split()[0]}
    for package in ["torch", "transformers", "numpy", "onnx", "onnxscript", "onnxruntime"]:
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    versions["torch"] = torch.__version__

    files = []
    for name in MODELS:
        model = load_model(name)
        jobs = [("legacy", "%s.legacy.onnx" % name, lambda p, m=model: export_legacy(m, p), "names"),
                ("dynamo", "%s.dynamo.onnx" % name, lambda p, m=model: export_dynamo(m, p), "metadata"),
                ("optimum", "%s.optimum.onnx" % name, lambda p, n=name: export_optimum(n, p, args.optimum_python),
                 "names")]
        if name == "layer_stable_oddpos":
            jobs.append(("external", "%s.external.onnx" % name,
                         lambda p, n=name: make_external(os.path.join(OUT, "%s.legacy.onnx" % n), p), "names"))
        for exporter, filename, make, style in jobs:
            path = os.path.join(OUT, filename)
            print("==", filename, flush=True)
            info = make(path)
            entry = {"file": filename, "model": name, "model_dir": "Tests/Fixtures/reference/%s" % name,
                     "exporter": {"legacy": "torch.onnx TorchScript exporter (dynamo=False)",
                                  "dynamo": "torch.onnx dynamo exporter (torch.export + onnxscript)",
                                  "optimum": "optimum.exporters.onnx.main_export (optimum-onnx)",
                                  "external": "legacy export re-saved by onnx with external data"}[exporter],
                     "export": info}
            if "skipped" in info:
                print("   skipped:", info["skipped"])
                entry["skipped"] = info["skipped"]
                files.append(entry)
                continue
            onnx.checker.check_model(path, full_check=True)
            entry["checker"] = "onnx.checker.check_model(path, full_check=True) passed"
            entry["bytes"] = os.path.getsize(path)
            if exporter == "external":
                entry["data_bytes"] = os.path.getsize(os.path.join(OUT, info["data_file"]))
            summary, lines = analyse(path, name, exporter, model, style)
            entry["opset"] = summary["opset_imports"].get("ai.onnx")
            entry["graph_input_names"] = [i.split(" ")[0] for i in summary["graph_inputs"]]
            entry["ort"] = run_ort(path, name, summary["graph_inputs"])
            entry["ort_max_abs_diff_clip_a"] = entry["ort"]["a"].get("max_abs_diff")
            entry["notes"] = NOTES[exporter]
            if exporter == "external":
                entry["same_graph_as"] = "%s.legacy.onnx" % name
                summary = {key: summary[key] for key in ("ir_version", "opset_imports", "graph_inputs", "node_count",
                                                         "initializer_count", "initializer_dtypes",
                                                         "initializer_storage", "constant_nodes")}
                raw = onnx.load(path, load_external_data=False)
                external_constants = sum(1 for node in raw.graph.node for attr in node.attribute
                                         if attr.type == attr.TENSOR and attr.t.data_location == onnx.TensorProto.EXTERNAL)
                summary["constant_nodes"] = {"count": summary["constant_nodes"]["count"],
                                             "with_external_data": external_constants}
                summary["storage_examples"] = ["%s -> %s" % (line.split("\t")[0], line.split("\t")[3])
                                               for line in lines[:2] + lines[-2:]]
            entry.update(summary)
            if exporter == "external":
                os.chmod(os.path.join(OUT, info["data_file"]), 0o644)
            with open(path + ".initializers.txt", "w") as handle:
                handle.write("# %s: one line per initializer, tab-separated:\n" % filename)
                handle.write("# name, dtype, shape, storage, consumers (op:node:input index:scope=module path), "
                             "hf=<Hugging Face parameter> [how it is stored]\n")
                handle.write("\n".join(lines) + "\n")
            print("   opset %s, inputs %s, %d initializers, ORT max abs diff a/b/c: %s" % (
                entry["opset"], entry["graph_input_names"], summary["initializer_count"],
                ", ".join("%.3g" % entry["ort"][clip].get("max_abs_diff", float("nan")) for clip in CLIPS)), flush=True)
            if "padded_batch" in entry["ort"]:
                print("   padded batch, max abs diff per row: %s (attention_mask fed: %s)" % (
                    ", ".join("%.3g" % v for v in entry["ort"]["padded_batch"]["max_abs_diff_per_row"]),
                    entry["ort"]["padded_batch"]["attention_mask_fed"]), flush=True)
            files.append(entry)
    optimum_versions = next((f["export"].get("versions") for f in files if f["file"].endswith(".optimum.onnx")
                             and "versions" in f["export"]), None)
    if optimum_versions:
        versions["optimum_environment"] = optimum_versions
    document = {
        "description": "ONNX exports of two reference models (Tests/Fixtures/reference) made by "
                       "tools/make_onnx_fixtures.py; see its docstring. 'notes' are prose, the other fields are "
                       "computed from the files. ORT: onnxruntime CPU on audio/input_values_<clip>.npy (all-ones "
                       "int64 attention_mask where the graph takes one) against <model>/logits_<clip>.npy.",
        "versions": versions,
        "files": files,
    }
    with open(os.path.join(OUT, "expected.json"), "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %s (%d files, %.0f KiB in all)" % (OUT, len(os.listdir(OUT)), total / 1024))


if __name__ == "__main__":
    main()


# A valid ONNX model that is not Wav2Vec2ForCTC, for the importer's error test (written by hand
# once with onnx.helper; kept here so that it can be remade):
#   w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), name="dense.weight")
#   node = helper.make_node("MatMul", ["x", "dense.weight"], ["y"], name="/dense/MatMul")
#   graph = helper.make_graph([node], "not_wav2vec2", [x: float [1, 2]], [y: float [1, 3]], [w])
#   onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "Tests/Fixtures/onnx/not_wav2vec2.onnx")
