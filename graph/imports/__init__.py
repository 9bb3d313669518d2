"""Bulk import of evidence: the column mapping (mapping), reading a file (reading), one row to
one item (parsing), the whole file checked (validation), its accounts found by id or name
(accounts), and written (writing, under leases).

A file (CSV or JSON Lines) is read twice from a spool file. The first pass maps each row to
our fields, validates it and writes the clean rows to a second spool file; then one query per
two thousand distinct ids checks that the propositions exist and finds each account by id,
and one more finds the rest by name. Any problem rejects the whole file with a row-numbered
report, before anything is written. Only then are the rows written in batches under an
``(:Import {status: 'running'})`` node; evidence of an import counts only once the import has
its ``completed_at`` (``graph/support.py``), so readers never see half an import.

Each row's idempotency key is derived from its idempotency column (namespaced by source type
and proposition, so ticket 123 of one system never collides with another's) or, without
one, from a hash of its content: resending a file writes nothing new. Keys belong to the
importing function unless the product derived them (``writing.write(global_keys=True)``,
``graph/kit/keys.py``). An import holds its rows under a lease (``leases``): rows left behind
by an import that died or failed are taken over by the next import of the same rows, rows
another import is still writing are left to it, and an import is answered only once every
one of its rows is visible. ``running`` runs one import under the settings' limits (the
longest line read, the lease); ``slots`` caps the imports a member runs at once.
"""
