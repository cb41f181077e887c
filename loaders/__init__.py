"""Files to records to the store: the canonical folder format and the demo county."""
