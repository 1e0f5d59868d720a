"""Knowledge bases: one collection's generations and what is loaded from them, the library of all
of them, and the ingest jobs of the server.
"""
