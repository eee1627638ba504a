"""Policy: pure decisions on facts, returning a plan with a reason for every candidate passed over."""
