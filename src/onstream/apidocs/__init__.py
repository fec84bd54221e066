"""The API described for people and tools: `/api/2/openapi.json`, `/docs` (Swagger UI, served
from this package, no CDN) and `/docs/guide` (quick start, and one page per resource with
every call in PHP, curl and Python), all made from the one route table and the handlers'
descriptions."""
