"""Embedding model preparation and the Embedder; the only package that imports torch.

Importing the package is cheap: torch and sentence-transformers load only when a model does.
"""
