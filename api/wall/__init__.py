"""The supervisors' wall: `/wall`, live through the GraphQL subscription."""
