"""Pure core: rules and algorithms. Nothing here imports `discord`."""
