"""Papers like these: similarity alerts seeded by example papers (`subscribe like <id> …`)."""
