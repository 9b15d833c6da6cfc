-- `ecom serve`: API tokens. Only a hash of each token is kept; the token itself is
-- printed once, when it is created.
CREATE TABLE meta.api_tokens (
    name        VARCHAR PRIMARY KEY,
    scope       VARCHAR NOT NULL CHECK (scope IN ('read', 'query', 'admin')),
    token_hash  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
