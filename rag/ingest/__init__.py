"""Stage 1: read files (txt/md/html/docx/pdf), clean them, read their metadata and outline their
sections.
"""
