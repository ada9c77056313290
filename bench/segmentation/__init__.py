"""Segmentation bench: UCI Online Retail and 1,000,000 generated customers."""
