"""Everything that faces the outside: the CLI, the daemon, its gateway and client."""
