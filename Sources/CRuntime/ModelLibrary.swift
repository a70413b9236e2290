import CodegenC
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A loaded libmodel.so: its step function (and a training graph's training step), after
/// checking its ABI version.
public final class ModelLibrary: @unchecked Sendable {
  typealias Step = @convention(c) (
    UnsafePointer<Int64>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeRawPointer?>?, UnsafeMutableRawPointer?,
    UnsafePointer<Int64>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<CChar>?, Int
  ) -> Int32
  typealias Version = @convention(c) () -> Int32
  /// `asrc_train_step` (model.h): the step's arguments, then the per-parameter buffers, the
  /// micro-batch position, AdamW's settings and where the results go.
  typealias TrainStep = @convention(c) (
    UnsafePointer<Int64>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeRawPointer?>?, UnsafeMutableRawPointer?,
    UnsafePointer<Int64>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    UnsafePointer<UnsafeMutablePointer<Float>?>?, UnsafePointer<UnsafeMutablePointer<Float>?>?, UnsafePointer<UnsafeMutablePointer<Float>?>?,
    UnsafePointer<UnsafeMutablePointer<Float>?>?, UnsafePointer<UInt8>?, Int32, Int32, Int64, Double, Double, Double, Double, Double, Double,
    Double, Double, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<CChar>?, Int
  ) -> Int32

  private let handle: UnsafeMutableRawPointer
  let step: Step
  /// Present in libraries built from training graphs (a `loss` and `grad.X` outputs).
  let trainStep: TrainStep?
  public let path: String

  public init(path: String) throws {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw CodegenCError.loadFailed("\(path): \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
    }
    guard let versionSymbol = dlsym(handle, "asrc_model_abi_version"), let stepSymbol = dlsym(handle, "asrc_model_step") else {
      dlclose(handle)
      throw CodegenCError.loadFailed("\(path) has no asrc_model_abi_version or asrc_model_step: not an asrc model library")
    }
    let version = unsafeBitCast(versionSymbol, to: Version.self)()
    guard version == CModelInterface.abiVersion else {
      dlclose(handle)
      throw CodegenCError.loadFailed("\(path) has ABI version \(version), this asrc expects \(CModelInterface.abiVersion) (rebuild it)")
    }
    self.handle = handle
    self.step = unsafeBitCast(stepSymbol, to: Step.self)
    trainStep = dlsym(handle, "asrc_train_step").map { unsafeBitCast($0, to: TrainStep.self) }
    self.path = path
  }

  deinit { dlclose(handle) }
}
