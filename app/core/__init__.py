"""Qt-free core: domain, privacy, recording formats, cache and analytics."""
