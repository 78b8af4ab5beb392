"""Money operations over the session: posting, balances, credit, holds, verification (DESIGN §4)."""
