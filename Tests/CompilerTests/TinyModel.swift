import IR
import Models
import Passes

/// A Wav2Vec2ForCTC small enough to run at every pass in a test: two conv layers, two encoder
/// layers of width 8.
enum TinyModel {
  static let configuration: Wav2Vec2Configuration = {
    var config = Wav2Vec2Configuration()
    config.hiddenSize = 8
    config.numHiddenLayers = 2
    config.numAttentionHeads = 2
    config.intermediateSize = 16
    config.convDim = [8, 8]
    config.convKernel = [10, 3]
    config.convStride = [5, 2]
    config.numConvPosEmbeddings = 4
    config.numConvPosEmbeddingGroups = 2
    config.vocabSize = 6
    return config
  }()

  static func forward() throws -> Graph {
    try Wav2Vec2Graph.build(configuration, options: .init(usesAttentionMask: false))
  }

  static func training() throws -> Graph {
    try PassManager(passes: [autodiff()]).run(try forward()).graph
  }
}
