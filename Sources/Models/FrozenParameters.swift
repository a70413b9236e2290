/// The parameters a training run leaves as they are: the whole convolutional feature encoder
/// (the guide's `model.freeze_feature_encoder()`), and every parameter named by one of
/// `prefixes`, matched as ESPnet's `--freeze_param` matches them: a prefix names a parameter
/// or a module, so `wav2vec2.feature_extractor.conv_layers.1` freezes
/// `wav2vec2.feature_extractor.conv_layers.1.conv.weight` but not `...conv_layers.10.conv.weight`.
///
/// Autodiff differentiates only what some trainable parameter depends on, so freezing the lowest
/// convolutions also removes the backward work below the lowest trained one.
public struct FrozenParameters: Equatable, Sendable {
  public let featureEncoder: Bool
  /// The names as given, without a trailing dot, each once, sorted: two spellings of the same
  /// set compare equal (a compiled step's check, a resumed run's).
  public let prefixes: [String]

  public init(featureEncoder: Bool = false, prefixes: [String] = []) {
    var names = Set(prefixes.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 })
    // The feature encoder's module by name is the flag by another spelling.
    self.featureEncoder = names.remove(Self.featureEncoderModule) != nil || featureEncoder
    self.prefixes = names.sorted()
  }

  /// The module `freeze_feature_encoder()` freezes.
  static let featureEncoderModule = "wav2vec2.feature_extractor"

  /// What an empty `--freeze-param` is told: it names no parameter.
  public static let emptyNameProblem = "--freeze-param must name a parameter or module, not be empty"

  public var isEmpty: Bool { !featureEncoder && prefixes.isEmpty }

  /// Whether training leaves `name` alone.
  public func contains(_ name: String) -> Bool {
    (featureEncoder && Wav2Vec2Configuration.isFeatureEncoderParameter(name)) || prefixes.contains { Self.prefix($0, covers: name) }
  }

  /// The predicate `autodiff` takes: the parameters it differentiates.
  public var trainable: @Sendable (String) -> Bool {
    let frozen = self
    return { !frozen.contains($0) }
  }

  /// Why these settings cannot train a model with these parameters, or nil: a prefix that names
  /// no parameter (a misspelt one would otherwise freeze nothing, silently), or nothing left to train.
  public func problem(parameterNames: some Collection<String>) -> String? {
    let unmatched = prefixes.filter { prefix in !parameterNames.contains { Self.prefix(prefix, covers: $0) } }
    if !unmatched.isEmpty {
      let example = parameterNames.min().map { " (parameters are named as in the state dict, such as \($0))" } ?? ""
      return "--freeze-param \(unmatched.joined(separator: ", ")): no parameter of the model is, or is inside, \(unmatched.count == 1 ? "that name" : "those names")\(example)"
    }
    if !parameterNames.isEmpty && parameterNames.allSatisfy(contains) {
      return "every parameter of the model is frozen (--freeze-feature-encoder, --freeze-param): there is nothing to train"
    }
    return nil
  }

  /// "feature encoder, wav2vec2.feature_extractor.conv_layers.0", or "none": for reports.
  public var summary: String {
    isEmpty ? "none" : ((featureEncoder ? ["feature encoder"] : []) + prefixes).joined(separator: ", ")
  }

  /// Whether `prefix` is `name` or a module `name` is inside.
  private static func prefix(_ prefix: String, covers name: String) -> Bool {
    name == prefix || name.hasPrefix(prefix + ".")
  }
}
