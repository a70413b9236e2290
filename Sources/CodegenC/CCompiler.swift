import Foundation

/// Builds generated C into `libmodel.so` with the system compiler, caching libraries under
/// `$XDG_CACHE_HOME/asrc/c` (default `~/.cache/asrc/c`) by a hash of the C text, the flags and
/// the compiler's `--version`, so a second build of the same graph skips the compiler.
public struct CCompiler: Sendable {
  /// The compiler: `$CC`, else `cc`.
  public var compiler: String
  /// Code generation flags (before the OpenBLAS flags from pkg-config).
  public var flags: [String]
  /// Extra flags appended last (sanitizers: `ASRC_C_FLAGS`).
  public var extraFlags: [String]
  public var cacheDirectory: URL

  /// -O3 -march=native for vector code; OpenMP for the loops above `ASRC_PARALLEL_MIN`
  /// (libgomp, the runtime Debian's oneDNN runs on, so both share one thread pool); no FP
  /// contraction, so a·b + c rounds as the interpreter's separate multiply and add; no errno
  /// from libm and no FP traps (nothing reads them; without them gcc keeps conditionals such
  /// as relu's and erfc's out of vector loops), which changes no value and lets `sqrtf` vectorise (the AdamW loop); no strict aliasing,
  /// since the arena holds values of every dtype.
  public static let defaultFlags = [
    "-std=gnu11", "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
    "-fno-strict-aliasing",
  ]

  /// Libraries linked after OpenBLAS's: oneDNN for the f32 and bf16 GEMMs (Debian's libdnnl-dev,
  /// which ships no pkg-config file; linked into every model, so a library's flags do not depend
  /// on its dtypes) and libm.
  public static let libraries = ["-ldnnl", "-lm"]

  public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    compiler = environment["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
    flags = Self.defaultFlags
    extraFlags = (environment["ASRC_C_FLAGS"] ?? "").split(separator: " ").map(String.init)
    let cacheRoot = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
    cacheDirectory = cacheRoot.appendingPathComponent("asrc/c")
  }

  /// A built library and how it was made.
  public struct Build: Sendable {
    /// The folder holding model.c, model.h, libmodel.so and flags.txt.
    public var directory: URL
    public var library: URL
    /// The full compiler command line.
    public var command: [String]
    public var compilerVersion: String
    /// True when the library came from the cache (the compiler did not run).
    public var cached: Bool
    /// The cache key (hash of C text, flags and compiler version).
    public var key: String

    public init(directory: URL, library: URL, command: [String], compilerVersion: String, cached: Bool, key: String) {
      self.directory = directory
      self.library = library
      self.command = command
      self.compilerVersion = compilerVersion
      self.cached = cached
      self.key = key
    }
  }

  /// Writes model.c and model.h into `directory` (for `asrc compile -o`).
  public static func write(_ source: CSource, to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try source.code.write(to: directory.appendingPathComponent("model.c"), atomically: true, encoding: .utf8)
    try source.header.write(to: directory.appendingPathComponent("model.h"), atomically: true, encoding: .utf8)
  }

  /// The library for `source`: from the cache, or built now and cached.
  public func build(_ source: CSource) throws -> Build {
    let executable = try resolveCompiler()
    let version = try Self.run(executable, ["--version"]).output.split(separator: "\n").first.map(String.init) ?? ""
    let linkFlags = Self.openBLASFlags()
    let arguments = flags + linkFlags.compile + extraFlags + ["-o", "libmodel.so", "model.c"] + linkFlags.link + Self.libraries
    let key = Self.hash([source.code, source.header, arguments.joined(separator: " "), executable, version].joined(separator: "\u{0}"))
    let directory = cacheDirectory.appendingPathComponent(key)
    let library = directory.appendingPathComponent("libmodel.so")
    let command = [executable] + arguments
    if FileManager.default.fileExists(atPath: library.path) {
      return Build(directory: directory, library: library, command: command, compilerVersion: version, cached: true, key: key)
    }
    // Build in a private folder, then move it into place (another process may race us).
    try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
    let staging = cacheDirectory.appendingPathComponent("\(key).building-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: staging) }
    try Self.write(source, to: staging)
    try (command.joined(separator: " ") + "\n" + version + "\n").write(to: staging.appendingPathComponent("flags.txt"), atomically: true, encoding: .utf8)
    let result = try Self.run(executable, arguments, in: staging)
    guard result.status == 0 else {
      throw CodegenCError.compilerFailed(command: command.joined(separator: " "), message: result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    do {
      try FileManager.default.moveItem(at: staging, to: directory)
    } catch where FileManager.default.fileExists(atPath: library.path) {
      // Another process finished the same build first; its library is identical.
    }
    return Build(directory: directory, library: library, command: command, compilerVersion: version, cached: false, key: key)
  }

  /// The compiler's path, or a clear error when there is none.
  func resolveCompiler() throws -> String {
    if compiler.contains("/") {
      guard FileManager.default.isExecutableFile(atPath: compiler) else { throw CodegenCError.compilerMissing(compiler) }
      return compiler
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
      let candidate = "\(folder)/\(compiler)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw CodegenCError.compilerMissing(compiler)
  }

  /// OpenBLAS's include and link flags from pkg-config (plain -lopenblas without it).
  static func openBLASFlags() -> (compile: [String], link: [String]) {
    let compile = (try? run("/usr/bin/env", ["pkg-config", "--cflags", "openblas"])).flatMap { $0.status == 0 ? $0.output : nil }
    let link = (try? run("/usr/bin/env", ["pkg-config", "--libs", "openblas"])).flatMap { $0.status == 0 ? $0.output : nil }
    func words(_ text: String?) -> [String]? { text.map { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) } }
    return (words(compile) ?? [], words(link) ?? ["-lopenblas"])
  }

  /// Runs a program and returns its exit status with standard output and error together.
  static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { throw CodegenCError.compilerMissing(executable) }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// 128 bits of two FNV-1a passes (a cache key, not a security measure).
  static func hash(_ text: String) -> String {
    var first: UInt64 = 0xcbf2_9ce4_8422_2325
    var second: UInt64 = 0x6c62_272e_07bb_0142
    for byte in text.utf8 {
      first = (first ^ UInt64(byte)) &* 0x100_0000_01b3
      second = (second ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9E37_79B9
    }
    return String(first, radix: 16).leftPadded(16) + String(second, radix: 16).leftPadded(16)
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
