"""The graph layer's plumbing: the connection, record parsing, cursors, the Cypher
vocabulary, a segment's scope, migrations and the local database launcher."""
