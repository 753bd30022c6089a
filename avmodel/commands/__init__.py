"""One module per ``avmodel`` subcommand (see avmodel.cli)."""
