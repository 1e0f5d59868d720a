"""The targets table: every figure of every document as a cited row (extract), the table of a
loaded index with its filters and exports (table), and answers across places and years (ask)."""
