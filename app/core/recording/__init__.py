"""Reading, normalising and describing rrweb recordings."""
