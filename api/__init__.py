"""CareLedger's edges: the command line (and, next, the GraphQL API). Nothing imports api."""
