"""The one verdict of an attempt: :mod:`.judge` turns the evidence into everything a learner
sees (score, band, words, sounds, the sentence, the highlighted span); :mod:`.mistakes`
names its errors as a teacher would."""
