import SystemInfo
import Testing

/// `/proc/cpuinfo` flags as the CPUs asrc has run on list them (trimmed to the flags that
/// matter and a few around them).
@Suite struct CPUFeaturesTests {
  static let sapphireRapids = """
    processor\t: 0
    model name\t: Intel Xeon Processor (SapphireRapids)
    flags\t\t: fpu sse2 avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 amx_bf16 amx_tile amx_int8 avx512_fp16
    """
  static let zen3 = """
    processor\t: 0
    model name\t: AMD EPYC
    flags\t\t: fpu sse2 fma avx f16c avx2 sha_ni vaes vpclmulqdq
    """
  static let skylake = "flags\t\t: fpu avx2 avx512f avx512dq avx512cd avx512bw avx512vl\n"

  @Test func readsTheFlagsLine() {
    let intel = CPUFeatures(cpuinfo: Self.sapphireRapids)
    #expect(intel.hasAVX512 && intel.hasBF16DotProducts)
    #expect(!intel.flags.contains("Intel"), "only the flags line is read")
    let amd = CPUFeatures(cpuinfo: Self.zen3)
    #expect(!amd.hasAVX512 && !amd.hasBF16DotProducts && amd.flags.contains("avx2"))
    let skylakeCPU = CPUFeatures(cpuinfo: Self.skylake)
    #expect(skylakeCPU.hasAVX512 && !skylakeCPU.hasBF16DotProducts)
    #expect(CPUFeatures(cpuinfo: "").flags.isEmpty)
    #expect(CPUFeatures(cpuinfo: "flags\t\t:\n").flags.isEmpty, "a bare flags line lists nothing")
  }

  @Test func bf16NeedsEitherDotProductExtension() {
    #expect(CPUFeatures(flags: ["avx512_bf16"]).hasBF16DotProducts)
    #expect(CPUFeatures(flags: ["amx_bf16"]).hasBF16DotProducts)
    #expect(!CPUFeatures(flags: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]).hasBF16DotProducts)
    #expect(!CPUFeatures(flags: ["avx512f", "avx512bw", "avx512dq"]).hasAVX512)
  }
}
