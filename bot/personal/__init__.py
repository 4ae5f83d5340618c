"""A person's own interests ("Notify me too", `mine`) and the direct messages they get."""
