"""Research studies: measurements that decided what the product does, kept with their code so they
can be re-run. Not part of the `transfergraph` package (not in the wheel); they import the product's
metrics and rankers and run from the repository root as `python -m studies.<name>.run`."""
