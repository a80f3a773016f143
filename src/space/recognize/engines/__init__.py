"""How a trained network runs: ONNX Runtime or PyTorch engines with the cached ONNX graph
(:mod:`.runtime`), and the one ONNX writer plus ``space export`` (:mod:`.export`)."""

# Part of every cache key: bump it when the exported graphs change (inputs, outputs, ops),
# so files written by an older SPACE are never run.
EXPORT_VERSION = 1
ONNX_OPSET = 17  # onnxruntime >= 1.17 (the `export` extra) runs it
