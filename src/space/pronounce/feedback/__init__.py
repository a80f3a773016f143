"""What one scored attempt gives back: the result object and its JSON (:mod:`.result`) and
its picture (:mod:`.plot`), both drawn from the one verdict."""
