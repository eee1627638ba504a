"""Actions: what touches the system (identity, locks, venvs, temp, the preflight, links); each is given
concrete paths and commands, never a plan."""
