"""Call detail records: parsers for what switches send, and the ingest pipeline built on them."""
