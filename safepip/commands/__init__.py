"""Commands: one orchestrator per command, from facts and policy to actions; they return data and report
progress through a callback."""
