"""The GraphQL API: types, resolvers per concept, and the merged schema."""
