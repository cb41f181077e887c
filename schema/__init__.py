"""The GraphQL API: strawberry types per domain, merged in schema.api; the FastAPI app."""
