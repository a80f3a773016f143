"""Evidence about one attempt, before any verdict.

* :mod:`.quality` the recording (noise, clipping, level, bandwidth), apart from the speech;
* :mod:`.sentence` audio + words -> per-phone, per-word and per-sentence scores, through
  :mod:`.acoustic` (the phone model, :mod:`.phone_model`, run by the project's engine:
  frame log posteriors), :mod:`.viterbi` (forced alignment of the words' phones),
  :mod:`.gop_features` (each phone's goodness-of-pronunciation features) and
  :mod:`.experts` (the scorer fitted on the experts' marks: features -> 0-100 scores).
"""
