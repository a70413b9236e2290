import IR

/// Dynamic loss scaling for f16 training, as torch's GradScaler: the loss the backward starts
/// from is multiplied by a run-time scale, so that small gradients stay above f16's smallest
/// numbers; the trainer divides the gradients by the same scale before clipping and the update.
///
///     before                                   after
///     %loss = … : f32[]                        input %loss_scale: f32[]
///     output loss = %loss                      %loss = … : f32[]
///                                              %scaled_loss = mul(%loss, %loss_scale) : f32[]
///                                              output loss = %loss
///                                              output scaled_loss = %scaled_loss
///
/// Run it before `autodiff(loss: "scaled_loss")`; the `loss` output stays unscaled for logging.
public let scaleLoss = Pass(
  name: "scale-loss",
  summary: "multiply the loss by a run-time scale input for the backward (f16 loss scaling)",
  details: """
    Adds an input `loss_scale: f32[]` and an output `scaled_loss = loss × loss_scale`; \
    `autodiff` then differentiates `scaled_loss`, so every gradient comes out multiplied by \
    the scale and small f16 gradients do not flush to zero. The trainer divides the gradients \
    by the scale, skips the step when any is inf or NaN, and adjusts the scale as torch's \
    GradScaler (start 65536, ×0.5 after an overflow, ×2 after 2,000 clean steps). The `loss` \
    output stays unscaled.
    """,
  examples: [
    PassExample(
      "The scaled loss beside the loss",
      before: """
        graph @g {
          input %x: f32[4]
          %loss = reduce_sum(%x) {axes = [0], keepdims = false} : f32[]
          output loss = %loss
        }
        """,
      after: """
        graph @g {
          input %x: f32[4]
          input %loss_scale: f32[]
          %loss = reduce_sum(%x) {axes = [0], keepdims = false} : f32[]
          %scaled_loss = mul(%loss, %loss_scale) : f32[]
          output loss = %loss
          output scaled_loss = %scaled_loss
        }

        """)
  ]
) { graph in
  guard let loss = graph.output(named: "loss") else {
    throw PassError.unknownOutput(["loss"], known: graph.outputs.map(\.name))
  }
  var result = graph
  let scale = result.addValue(name: "loss_scale", type: TensorType(.f32, []), role: .input)
  result.inputs.append(scale)
  let scaled = result.addValue(name: "scaled_loss", type: graph.type(of: loss), role: .result)
  result.nodes.append(Node(op: .mul, operands: [loss, scale], attributes: [:], result: scaled))
  result.outputs.append(GraphOutput(name: "scaled_loss", value: scaled))
  return result
}
