"""The knowledge base's pure parts: no ORM, no Django. `search` is the retrieval engine the Django side feeds."""
