"""Snapshots: frozen, fingerprinted copies of the model (store), their canonical content,
figures, diffs, restore, and the exports people read (export/)."""
