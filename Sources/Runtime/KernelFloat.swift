import RealModule

/// The floating-point types the interpreter computes in. f16 and bf16 are storage types:
/// the interpreter widens them to f32, computes, and rounds results back (as PyTorch's CPU
/// kernels do for half types).
protocol KernelFloat: BinaryFloatingPoint & Real & Sendable {}
extension Float: KernelFloat {}
extension Double: KernelFloat {}
