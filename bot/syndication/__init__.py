"""Feeds out of paperboy: what a channel received, as RSS 2.0, Atom, JSON Feed 1.1 and BibTeX."""
