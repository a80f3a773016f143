"""What an attempt should sound like: text -> words (:mod:`.text`) -> phones, from the
pronouncing dictionary with ARPAbet <-> IPA (:mod:`.phones`)."""
