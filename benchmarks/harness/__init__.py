"""benchmarks/run's parts: one module per comparison, each with `run(ctx) -> Section`."""
