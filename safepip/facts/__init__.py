"""Facts: probing the permission context, without effects (apart from write probes and safepip's caches)."""
