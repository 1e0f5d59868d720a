"""plan-rag: offline question answering over Chinese science-and-technology work plans."""

__version__ = "0.1.0"
