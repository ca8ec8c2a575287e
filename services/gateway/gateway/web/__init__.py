"""Server-rendered pages: the public wall, dashboard and commitments, emailed links."""
