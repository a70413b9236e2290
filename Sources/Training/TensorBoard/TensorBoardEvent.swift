/// One `Event` of TensorBoard's event.proto, in the forms transformers' TensorBoardCallback (through
/// torch's SummaryWriter) writes: the file's version, a scalar, a text, and the SessionLog START
/// that tells readers a restarted run supersedes what was written from its step on.
public struct TensorBoardEvent: Equatable, Sendable {
  public enum Content: Equatable, Sendable {
    /// The first event of every file: "brain.Event:2", and the writer's name (SourceMetadata).
    case fileVersion(String, writer: String)
    /// `Summary.Value.simple_value`, as add_scalar writes it (a float32).
    case scalar(tag: String, value: Float)
    /// A string tensor with the text plugin's metadata, as add_text writes it; its tag is the
    /// name given to add_text followed by "/text_summary".
    case text(tag: String, text: String)
    /// `SessionLog.status = START`: TensorBoard's EventAccumulator drops every event it has read
    /// with a step at or above this event's.
    case sessionStart
  }

  public var wallTime: Double
  public var step: Int64
  public var content: Content

  public init(wallTime: Double, step: Int64, content: Content) {
    self.wallTime = wallTime
    self.step = step
    self.content = content
  }

  /// The serialized Event (event.proto: wall_time 1, step 2, file_version 3, summary 5,
  /// session_log 7, source_metadata 10).
  public var encoded: [UInt8] {
    var event = ProtobufEncoder()
    // proto3 leaves a zero wall time or step out.
    if wallTime.bitPattern != 0 { event.double(1, wallTime) }
    if step != 0 { event.varint(2, step) }
    switch content {
    case .fileVersion(let version, let writer):
      event.string(3, version)
      event.message(10) { $0.string(1, writer) }
    case .scalar(let tag, let value):
      // Summary.value 1 → Value: tag 1, simple_value 2 (a oneof member, so written even when 0).
      event.message(5) { summary in
        summary.message(1) { entry in
          entry.string(1, tag)
          entry.float(2, value)
        }
      }
    case .text(let tag, let text):
      // Value: tag 1, tensor 8 (TensorProto: dtype 1 = DT_STRING 7, tensor_shape 2 with one dim
      // of size 1, string_val 8), metadata 9 (plugin_data 1 → plugin_name 1 "text"; its content,
      // an empty TextPluginData, is left out as proto3 leaves empty bytes).
      event.message(5) { summary in
        summary.message(1) { entry in
          entry.string(1, tag)
          entry.message(8) { tensor in
            tensor.varint(1, 7)
            tensor.message(2) { shape in shape.message(2) { dimension in dimension.varint(1, 1) } }
            tensor.string(8, text)
          }
          entry.message(9) { metadata in metadata.message(1) { plugin in plugin.string(1, "text") } }
        }
      }
    case .sessionStart:
      // SessionLog: status 1, START = 1.
      event.message(7) { $0.varint(1, 1) }
    }
    return event.bytes
  }
}
