"""Server-rendered pages for people, not API clients: the join page and the personal link."""
