"""Connected words (digits said without pauses): the frame model (:mod:`.model`), its
streaming Viterbi decoder (:mod:`.decode`), the stream's sequence mode (:mod:`.stream`),
whole recordings (:mod:`.file`), and training (:mod:`space.training.sequence`) on recordings joined on the
fly from isolated words (:mod:`.connected`)."""
