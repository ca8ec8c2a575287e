"""Tilts shared contracts: what every service agrees on, and nothing else."""
