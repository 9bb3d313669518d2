"""The HTTP surface: FastAPI app, GraphQL schema, REST routes and authentication."""
