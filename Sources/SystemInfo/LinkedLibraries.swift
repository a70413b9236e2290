import COpenBLAS
import CProtobufC
import CSndFile
import CSoxr

/// Versions of the system libraries asrc links, as the libraries report them at run time
/// (`asrc version`), so a bug report says exactly what was loaded.
public enum LinkedLibraries {
  public struct Entry: Sendable {
    public var name: String
    public var version: String
  }

  public static var all: [Entry] {
    [
      Entry(name: "OpenBLAS", version: openBLASConfiguration),
      Entry(name: "libsndfile", version: String(cString: sf_version_string())),
      Entry(name: "libsoxr", version: String(cString: soxr_version())),
      Entry(name: "libprotobuf-c", version: String(cString: protobuf_c_version())),
    ]
  }

  /// OpenBLAS's build description: version, kernel and threading ("OpenBLAS 0.3.21 DYNAMIC_ARCH ...").
  public static var openBLASConfiguration: String {
    guard let text = openblas_get_config() else { return "unknown" }
    return String(cString: text).trimmingTrailingSpaces()
  }

  /// How many threads OpenBLAS uses for GEMM.
  public static var openBLASThreads: Int { Int(openblas_get_num_threads()) }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }
}
