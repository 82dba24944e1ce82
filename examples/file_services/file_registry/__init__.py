"""The file registry: moves finished uploads into permanent storage and records them."""
