"""Training of every model SPACE ships, beside the one loop that trains its networks.

* :mod:`.loop` the one training loop (:func:`~.loop.fit`; single process or torchrun);
* each network's task, named for the model it writes to ``src/space/models/``:
  :mod:`.words` (the word recognisers ``commands.pt``, ``digits.pt``), :mod:`.sequence`
  (connected digits, ``digitseq.pt``), :mod:`.frames` (the frame encoder ``frames.pt``),
  :mod:`.phones` (the phone model ``phones.pt``);
* fitted, not trained by the loop: :mod:`.scorer` (the experts' scorer ``scorer.json`` and
  ``phones_learners.pt``, on speechocean762);
* training data: :mod:`.phone_labels` (PocketSphinx phone labels of words) and
  :mod:`.learner_labels` (phone times of the learners' sentences).

Imports point down: the CLI and the API import from here; ``recognize`` and ``pronounce``
never do.
"""
