"""The knowledge base: Markdown articles in English and Chinese, searched and suggested."""
