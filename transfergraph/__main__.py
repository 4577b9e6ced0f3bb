from transfergraph.cli import main

main()
