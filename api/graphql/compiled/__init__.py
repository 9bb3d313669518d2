"""Typed reads completed in one pass per level instead of field by field.

graphql-core completes every field of an answer on its own: a resolver call, a value
completion and, for an awaitable resolver, a future, for each of the ~15,000 fields of a page
of propositions with their evidence and bearings. ``CompilingExecutor`` completes the
answer of a root read whose whole selection it knows (``plan``) a column at a time: each
field's values for every object of a level at once, the loaders of a level asked together
(the same reads, in the same round trips, as the resolvers make), each leaf coerced by the
GraphQL type that would coerce it. Anything it does not know, or any answer that would
carry an error, is completed by graphql-core as before, from the same resolved root value.
"""
