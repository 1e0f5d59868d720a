"""Stage 4: question analysis, candidate sentences, the calibrated evidence model, and the
extractive answer with verbatim citations.
"""
