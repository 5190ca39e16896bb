"""API contracts between a Backend and a Frontend partner: OpenAPI documents, their summary, their diffs.

Groundwork for `/api publish`, `/api need` and `/api template` (no command uses it yet). Pure and discord-free:
`document` loads and validates an upload, `summary` extracts what the pinned post shows, `diff` compares two
versions, `paths` matches the frontend's needs against a contract, `templates` serves the shipped references.
"""
