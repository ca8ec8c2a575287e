"""Pieces of the end-to-end benchmark (bench/e2e.py): stacks of one code version or
another, the scenarios the issue names, the raw ceilings, and the table."""
