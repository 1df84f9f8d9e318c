"""多源融合 record linkage: one person or entity from the records many departments hold."""
