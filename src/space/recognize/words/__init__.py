"""Isolated words: the CNN (:mod:`.model`), batch inference (:mod:`.recognizer`), bundled
models by name (:mod:`.registry`), open-set rejection (:mod:`.reject`), evaluation
(:mod:`.evaluate`, :mod:`.plots`) and detection-error curves (:mod:`.det`)."""
