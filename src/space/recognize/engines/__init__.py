"""How a trained network runs: ONNX Runtime or PyTorch engines with the cached ONNX graph
(:mod:`.runtime`), and the one ONNX writer plus ``space export`` (:mod:`.export`)."""
