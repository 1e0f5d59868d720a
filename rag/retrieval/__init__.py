"""Stage 3: the question's scope (place, year, document) and hybrid search with a fusion
component.
"""
