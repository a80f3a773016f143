"""Reference recordings: a few 'golden' clips per word, bundled or the user's own.

The scorer does not need them (it scores any text from the phone model); they are the
examples a learner listens to on the page (``/api/references/{word}``), and a teacher's
own recordings of a word replace the bundled ones (``space references add``). Checking a
set (do its clips agree, is a new clip one word's worth of speech?) compares the clips by
dynamic time warping of frame features:

* :mod:`.folders` the folders (bundled, the user's): list and remove clips; :mod:`.add` adds
  them, each checked first;
* :mod:`.sets` a word's clips as frames with the calibration of their distances, and the
  warnings about a set or a new clip;
* :mod:`.build` choose a data set's most central recordings per word (:mod:`.medoids`);
* :mod:`.frames` frame features (log-mels + the frame encoder), :mod:`.dtw` the
  alignment, :mod:`.distance` attempt-to-set distances, :mod:`.calibrate` distance ->
  0-100, :mod:`.agreement` clips that disagree with the rest.
"""
