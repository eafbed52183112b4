"""One module per ``plantrack`` subcommand; see plantrack/cli.py."""
