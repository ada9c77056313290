"""CLV bench: BG/NBD and Gamma-Gamma on the CDNOW sample against the published parameters."""
