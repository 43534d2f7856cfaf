"""authkit: the server side of Better Auth, in Python."""
