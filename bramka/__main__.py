from bramka.cli import main

main()
