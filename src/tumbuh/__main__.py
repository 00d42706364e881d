from tumbuh.cli import main

main()
