from micronf.cli.main import main

main()
