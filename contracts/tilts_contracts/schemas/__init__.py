"""Wire shapes of the API's resources, one module per resource; `common` holds what
they share. The owning service loads input through them; the gateway describes them
in OpenAPI."""
