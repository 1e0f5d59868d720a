"""Stage 2: chunk documents, embed them into a vector store (FAISS or Milvus) and a keyword index,
saved as verified generations.
"""
