"""hocai: the tutor engine, its channels, scheduler, web app and CLI."""
