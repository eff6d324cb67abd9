"""Who may do what: users and roles bound to a region (or a hall), revocable console sessions with
CSRF tokens, and the login guard."""
