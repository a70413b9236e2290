/// torch.cuda.amp.GradScaler's dynamic loss scale, for f16 training: the backward starts from
/// loss × scale; a step whose gradients overflow is skipped (optimizer and scheduler) and halves
/// the scale; 2,000 clean steps in a row double it. bf16 and f32 need none.
public struct GradScaler: Sendable, Equatable {
  public static let initialScale = 65536.0
  public static let growthInterval = 2000

  public private(set) var scale: Double
  /// Clean steps since the last change of the scale.
  public private(set) var growthTracker: Int

  public init(scale: Double = initialScale, growthTracker: Int = 0) {
    self.scale = scale
    self.growthTracker = growthTracker
  }

  /// After a step: `overflowed` when the gradients were not finite. Returns the scale's change
  /// for the log, if any.
  @discardableResult
  public mutating func update(overflowed: Bool) -> (from: Double, to: Double)? {
    let before = scale
    if overflowed {
      scale *= 0.5
      growthTracker = 0
    } else {
      growthTracker += 1
      if growthTracker == Self.growthInterval {
        scale *= 2
        growthTracker = 0
      }
    }
    return scale == before ? nil : (before, scale)
  }
}
