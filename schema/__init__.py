"""The domain: vocabulary, pydantic models, errors, migrations and the committed GraphQL SDL."""
