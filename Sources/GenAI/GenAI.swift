/// The umbrella module: `import GenAI` brings in the whole toolkit.
@_exported import GenAIData
@_exported import GenAIMetrics
@_exported import GenAIModels
@_exported import GenAINN
@_exported import GenAITensor
@_exported import GenAITraining
